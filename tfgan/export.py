"""`python -m tfgan.export`: write a run's model as a TF Serving SavedModel.

Writes ``<export_dir>/<version>/`` (default ``<model_dir>/export/<name>``,
e.g. ``export/generator`` for the image GAN), one version above the last;
the family's export module documents the signatures.
"""

from __future__ import annotations

from absl import flags

from tfgan import (
    cli,  # first: it quiets TensorFlow's start-up logging
    training,
)
from tfgan.errors import ConfigError

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "The training run to export (its config.json and checkpoints/).")
flags.DEFINE_string("checkpoint", None, "A checkpoint prefix, e.g. <model_dir>/checkpoints/ckpt-500; default: latest.")
flags.DEFINE_string("export_dir", None, "Base directory of the versions; default <model_dir>/export/<name>.")


def main(argv):
    cli.no_arguments(argv)
    if not FLAGS.model_dir:
        raise ConfigError("--model_dir is required: the training run whose model to export.")
    path = training.export_from_run_dir(FLAGS.model_dir, checkpoint=FLAGS.checkpoint, export_base_dir=FLAGS.export_dir)
    print(f"export: {path}")


def run():
    """Console-script entry point (`tfgan-export`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
