"""Run by tests/test_distribute.py: one worker of a multi-worker run of ``python -m tfgan.train``.

Runs tfgan.train's command line (the same flags, the same `main`) and, once
it has finished, saves that worker's final G and D weights and step to the
.npz named by the TFGAN_TEST_WEIGHTS environment variable, so the test can
compare the workers (a non-chief worker keeps no files of its own).

Usage: TF_CONFIG=... TFGAN_TEST_WEIGHTS=w.npz python tests/_worker.py --strategy=multi_worker ...
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from tfgan import train, training  # noqa: E402

runs = []
_build = training.build


def _recording_build(*args, **kwargs):
    built = _build(*args, **kwargs)
    runs.append(built[1])  # the family's Trainer
    return built


training.build = _recording_build
sys.argv = ["tfgan.train", *sys.argv[1:]]
try:
    train.run()
finally:
    if runs:
        gan = runs[-1].model
        weights = gan.generator.get_weights() + gan.discriminator.get_weights()
        arrays = {f"w{i}": w for i, w in enumerate(weights)}
        np.savez(os.environ["TFGAN_TEST_WEIGHTS"], step=int(gan.step.numpy()), **arrays)
