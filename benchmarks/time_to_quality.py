"""Sample quality reached after fixed wall-clock training budgets, for several presets in one run.

    python benchmarks/time_to_quality.py --data_dir=/work/shared/datasets/tfds                # 5, 10, 15 min
    python benchmarks/time_to_quality.py --budgets=1,2 --settings=quick_mnist,tutorial         # a short check

Settings (each a preset plus overrides):

- ``quick_mnist``: the students' preset (tfgan.families.image.presets).
- ``quick_mnist_bf16``: quick_mnist with ``--mixed_precision
  --mixed_dtype=bfloat16`` (bfloat16 math, float32 variables and network
  ends): whether the bfloat16 speed lever of ``benchmarks/train_step.py``
  keeps sample quality.
- ``quick_mnist_bf16_lr``: that with Adam's rate 5e-4 for both players.
- ``quick_mnist_bf16_b128``: that at batch 128 (bfloat16 matrix units do
  more per image at larger batches).
- ``tutorial``: the TensorFlow DCGAN tutorial's setting: its networks
  (tfgan's ``dcgan``), batch 256, Adam(1e-4) for both players, the
  simultaneous update its loop makes.

The settings train interleaved, chunk by chunk (``--chunk`` steps), each on
its own training clock, so load from other jobs on a shared machine falls
on all of them alike. When a setting's clock passes a budget, its sampling
generator (the EMA one where kept) draws ``--num_samples`` images, scored
with the domain classifier of ``tfgan.evaluate`` (trained once and cached
in ~/.cache/tfgan/classifiers): classifier-FID against the test split and
the classes covered. Evaluation time is not on the training clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import pipelines  # noqa: E402
from tfgan import config as config_lib  # noqa: E402
from tfgan import convolution, training  # noqa: E402
from tfgan.families.image import evaluation  # noqa: E402

BF16 = dict(mixed_precision=True, mixed_dtype="bfloat16")
SETTINGS = {
    "quick_mnist": ("quick_mnist", {}),
    "tutorial": ("dcgan_mnist", dict(update="simultaneous", batch_size=256, lr=1e-4, beta_1=0.9)),
    # The bfloat16 lever of benchmarks/train_step.py, to see whether samples keep their quality.
    "quick_mnist_bf16": ("quick_mnist", BF16),
    "quick_mnist_bf16_lr": ("quick_mnist", dict(BF16, lr=5e-4)),
    "quick_mnist_bf16_b128": ("quick_mnist", dict(BF16, lr=5e-4, batch_size=128)),
}


def to_uint8(images, value_range):
    low, high = value_range
    return np.clip(np.round((np.asarray(images, np.float32) - low) / (high - low) * 255), 0, 255).astype(np.uint8)


class Run:
    def __init__(self, name, data_dir, root, seed):
        preset, overrides = SETTINGS[name]
        self.name = name
        config = config_lib.resolve(
            preset, data_dir=data_dir, model_dir=os.path.join(root, name), seed=seed, steps=10**9, **overrides
        )
        config, self.trainer, _ = training.build(config)
        self.config = config
        self.gan = self.trainer.model
        self.clock = 0.0
        self.steps = 0
        self.iterator = None

    def train(self, steps):
        # One stream for the whole run, stepped with Keras' own compiled train function: a fresh
        # stream per chunk (fit(dataset) starts one) would refill the shuffle buffer and decode the
        # skipped images again on the clock, more with every chunk.
        if self.iterator is None:
            self.iterator = iter(self.trainer.dataset(0))
            self.gan.make_train_function()
        calls = max(1, steps // self.gan.steps_per_execution)
        start = time.perf_counter()
        for _ in range(calls):
            logs = self.gan.train_function(self.iterator)
        keras.tree.map_structure(lambda t: t.numpy(), logs)  # the last step has finished
        self.clock += time.perf_counter() - start
        self.steps += calls * self.gan.steps_per_execution

    def sample(self, n, value_range):
        rng = np.random.default_rng(12345)
        z = rng.normal(size=(n, self.config.params.latent_dim)).astype(np.float32)
        images = self.gan.sampling_generator.predict(z, batch_size=500, verbose=0)
        return to_uint8(np.asarray(images, np.float32), value_range)


def main(argv=None):
    del argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default="/work/shared/datasets/tfds")
    parser.add_argument("--budgets", default="5,10,15", help="Comma-separated minutes of training per setting.")
    parser.add_argument("--settings", default="quick_mnist,tutorial", help=f"Comma-separated: {', '.join(SETTINGS)}")
    parser.add_argument("--chunk", type=int, default=50, help="Steps per interleaved chunk.")
    parser.add_argument("--num_samples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    names = [s for s in args.settings.split(",") if s]
    unknown = [s for s in names if s not in SETTINGS]
    if unknown:
        parser.error(f"--settings: unknown {', '.join(unknown)}; choose from {', '.join(SETTINGS)}")
    budgets = sorted(float(b) * 60 for b in args.budgets.split(",") if b)

    print(f"machine: {evaluation_machine()}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    src = lambda split: pipelines.open_source("tfds:mnist", data_dir=args.data_dir, split=split)  # noqa: E731
    train_x, train_y = evaluation.real_images(src("train"))
    test_x, test_y = evaluation.real_images(src("test"))
    eval_config = evaluation.EvalConfig(export_dir="-", dataset="tfds:mnist", train_classifier=True)
    classifier, accuracy = evaluation.domain_classifier(eval_config, train_x, train_y, test_x, test_y, 10)
    print(f"domain classifier test accuracy: {accuracy:.4f}")

    root = tempfile.mkdtemp(prefix="tfgan_ttq_")
    keras.utils.set_random_seed(args.seed)
    runs = [Run(name, args.data_dir, root, args.seed) for name in names]
    value_range = (-1.0, 1.0)
    pending = {run.name: list(budgets) for run in runs}
    print(f"budgets (min): {', '.join(f'{b / 60:g}' for b in budgets)}; chunk {args.chunk} steps, interleaved")
    print(f"{'setting':14s} {'budget':>7s} {'steps':>7s} {'img/s':>7s} {'cFID':>8s} {'classes':>8s} {'load1':>6s}")
    while any(pending.values()):
        for run in runs:
            if not pending[run.name]:
                continue
            run.train(args.chunk)
            while pending[run.name] and run.clock >= pending[run.name][0]:
                budget = pending[run.name].pop(0)
                generated = run.sample(args.num_samples, value_range)
                m = evaluation.classifier_metrics(classifier, generated, train_x, test_x, 10)
                rate = run.steps * run.config.run.batch_size / run.clock
                print(
                    f"{run.name:14s} {budget / 60:6.0f}m {run.steps:7d} {rate:7.0f} {m['classifier_fid']:8.2f} "
                    f"{m['classes_covered']:8d} {os.getloadavg()[0]:6.2f}",
                    flush=True,
                )
    print(f"(real test images: classifier-FID of train vs test {m['classifier_fid_real']:.2f})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def evaluation_machine():
    return f"{convolution.machine_key()}"


if __name__ == "__main__":
    from tfgan.errors import run_cli

    run_cli(main, sys.argv)  # user errors (missing data) as one line, exit 2
