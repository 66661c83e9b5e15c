"""`python -m tfgan.evaluate`: score an exported generator.

Prints the Parzen-window table of Goodfellow et al. 2014 with this
generator's row, domain-classifier metrics (``--train_classifier``; for a
conditional export also the class accuracy of its samples: the fraction
the classifier assigns to the asked-for class) and,
given InceptionV3 weights, FID/KID/IS; writes everything to ``--out``.
"""

from __future__ import annotations

from absl import flags

from tfgan import cli
from tfgan.errors import ConfigError

FLAGS = flags.FLAGS
flags.DEFINE_string("export_dir", None, "An export version directory, or the base holding versions (latest used).")
flags.DEFINE_string("dataset", "digits", "The real data, as for training: digits | tfds:<name> | npz:<path>.")
flags.DEFINE_string("data_dir", None, "TFDS data directory.")
flags.DEFINE_integer("num_samples", 10_000, "Generated images for the classifier and Inception metrics.")
flags.DEFINE_integer("parzen_samples", 10_000, "Generated images centring the Parzen windows (paper: 10,000).")
flags.DEFINE_integer("parzen_valid", 10_000, "The last N training images choose sigma (paper: 10,000).")
flags.DEFINE_bool("parzen", True, "Compute the Parzen-window log-likelihood.")
flags.DEFINE_bool("train_classifier", False, "Train the domain classifier if none is cached.")
flags.DEFINE_string("classifier_dir", None, "Domain classifier cache; default ~/.cache/tfgan/classifiers.")
flags.DEFINE_integer("classifier_epochs", 3, "Epochs of domain classifier training.")
flags.DEFINE_string("inception_weights", None, "InceptionV3 .h5 weights for FID/KID/IS ('imagenet' downloads).")
flags.DEFINE_integer("kid_subsets", 100, "Subsets averaged by KID.")
flags.DEFINE_integer("seed", 0, "First seed of the generated images.")
flags.DEFINE_string("out", "eval.json", "Where the results go (JSON).")
flags.DEFINE_bool("allow_mismatch", False, "Score an export against a dataset other than the one it was trained on.")


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments {argv[1:]}; flags take the form --name=value.")
    if not FLAGS.export_dir:
        raise ConfigError("--export_dir is required (e.g. runs/default/export/generator).")
    for name in ("num_samples", "parzen_samples", "parzen_valid", "classifier_epochs", "kid_subsets"):
        if FLAGS[name].value < 1:
            raise ConfigError(f"--{name} must be a positive integer, got {FLAGS[name].value}.")
    from tfgan import evaluation

    config = evaluation.EvalConfig(
        export_dir=FLAGS.export_dir,
        dataset=FLAGS.dataset,
        data_dir=FLAGS.data_dir,
        num_samples=FLAGS.num_samples,
        parzen_samples=FLAGS.parzen_samples,
        parzen_valid=FLAGS.parzen_valid,
        parzen=FLAGS.parzen,
        train_classifier=FLAGS.train_classifier,
        classifier_dir=FLAGS.classifier_dir,
        classifier_epochs=FLAGS.classifier_epochs,
        inception_weights=FLAGS.inception_weights,
        kid_subsets=FLAGS.kid_subsets,
        seed=FLAGS.seed,
        allow_mismatch=FLAGS.allow_mismatch,
    )
    results = evaluation.evaluate(config)
    print(evaluation.format_table(results))
    evaluation.write_results(results, FLAGS.out)
    print(f"results: {FLAGS.out}")


def run():
    """Console-script entry point (`tfgan-evaluate`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
