"""Reproduce the GAN row of Table 1 of Goodfellow et al. 2014 (Parzen LL on MNIST).

    python benchmarks/paper_table1.py --data_dir=../shared/datasets/tfds

trains --preset=paper_mnist on real MNIST (resuming if the run exists),
exports the generator, and evaluates it with the paper's protocol: 10,000
samples, sigma chosen on the last 10,000 training images, the mean
log-likelihood of the 10,000 test images ± standard error; plus the domain
classifier's metrics. Prints the table and writes <model_dir>/eval.json.
"""

from __future__ import annotations

import os
import sys
import time

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", "../shared/datasets/tfds", "TFDS data directory holding mnist.")
flags.DEFINE_string("preset", "paper_mnist", "Training preset (paper_mnist, dcgan_mnist).")
flags.DEFINE_string("model_dir", None, "Run directory; default runs/<preset>.")
flags.DEFINE_integer("epochs", None, "Total epochs; default the preset's (100 for paper_mnist).")
flags.DEFINE_integer("parzen_samples", 10_000, "Generated samples (paper: 10,000).")
flags.DEFINE_integer("seed", None, "Training seed; default the preset's. GAN runs differ by seed: compare several.")
flags.DEFINE_enum(
    "update",
    None,
    ["alternating", "simultaneous"],
    "Default the preset's (Algorithm 1); simultaneous: the released code's update from one sample.",
)
flags.DEFINE_float(
    "ema_decay",
    None,
    "Export and score a moving average of G's weights (default the preset's); may be switched on at a resume.",
)


def main(argv):
    del argv
    from tfgan import config as config_lib
    from tfgan import training
    from tfgan.families.image import evaluation

    overrides = dict(data_dir=FLAGS.data_dir, epochs=FLAGS.epochs)
    if FLAGS.seed is not None:
        overrides["seed"] = FLAGS.seed
    if FLAGS.ema_decay is not None:
        overrides["ema_decay"] = FLAGS.ema_decay
    if FLAGS.update is not None:
        overrides["update"] = FLAGS.update
    if FLAGS.model_dir:
        overrides["model_dir"] = FLAGS.model_dir
    config = config_lib.resolve(FLAGS.preset, **overrides)
    start = time.time()
    result = training.train(config, verbose=2)
    train_seconds = time.time() - start
    eval_config = evaluation.EvalConfig(
        export_dir=result.export_dir,
        dataset="tfds:mnist",
        data_dir=FLAGS.data_dir,
        parzen_samples=FLAGS.parzen_samples,
        train_classifier=True,
    )
    start = time.time()
    results = evaluation.evaluate(eval_config)
    results["train_seconds_this_call"] = train_seconds
    results["eval_seconds"] = time.time() - start
    print(evaluation.format_table(results))
    print(
        f"preset {FLAGS.preset}: step {result.step}; training in this call {train_seconds / 60:.1f} min "
        f"(resumed runs count only their own part); evaluation {results['eval_seconds'] / 60:.1f} min"
    )
    evaluation.write_results(results, os.path.join(result.config.model_dir, "eval.json"))


if __name__ == "__main__":
    from tfgan import cli

    cli.start(main)  # user errors (missing data, bad flags) as one line, exit 2
