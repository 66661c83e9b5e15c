"""`python -m tfgan.export`: write a run's generator as a TF Serving SavedModel.

Writes ``<export_dir>/<version>/`` (default ``<model_dir>/export/generator``),
one version above the last; see `tfgan.exporting` for the signatures.
"""

from __future__ import annotations

from absl import flags

from tfgan import cli
from tfgan.errors import ConfigError

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "The training run to export (its config.json and checkpoints/).")
flags.DEFINE_string("checkpoint", None, "A checkpoint prefix, e.g. <model_dir>/checkpoints/ckpt-500; default: latest.")
flags.DEFINE_string("export_dir", None, "Base directory of the versions; default <model_dir>/export/generator.")


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments {argv[1:]}; flags take the form --name=value.")
    if not FLAGS.model_dir:
        raise ConfigError("--model_dir is required: the training run whose generator to export.")
    from tfgan import training

    path = training.export_from_run_dir(FLAGS.model_dir, checkpoint=FLAGS.checkpoint, export_base=FLAGS.export_dir)
    print(f"export: {path}")


def run():
    """Console-script entry point (`tfgan-export`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
