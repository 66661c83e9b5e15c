"""Run by the preemption tests: a tiny training run that prints ``STEP n`` after every step.

Usage: python tests/reliability/_train_reporting.py MODEL_DIR STEPS CHECKPOINT_EVERY
Exits as `tfgan.training.train` makes it (143 / 130 on SIGTERM / SIGINT).
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(os.path.dirname(HERE)), os.path.dirname(HERE)]

import logging  # noqa: E402

import keras  # noqa: E402

from tests._util import tiny_config  # noqa: E402
from tfgan import training  # noqa: E402
from tfgan.run.callbacks import current_step  # noqa: E402


class Report(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print(f"STEP {current_step(self.model)}", flush=True)


logging.basicConfig(level=logging.INFO)
model_dir, steps, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
result = training.train(tiny_config(model_dir, steps=steps, checkpoint_every=every), verbose=0, callbacks=[Report()])
print(f"DONE {result.step}", flush=True)
