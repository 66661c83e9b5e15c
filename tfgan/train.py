"""`python -m tfgan.train`: train a model of any family, resume it, export it.

``--preset`` picks the family and fills unset flags (see the README);
every flag explicitly given overrides it. The flags are generated from
`tfgan.run.config.RunConfig` and every family's parameter dataclass; a flag
that is not a setting of the preset's family is refused. Running the same
command again resumes from the run's latest checkpoint.
"""

from __future__ import annotations

from absl import flags

from tfgan import (
    cli,  # first: it quiets TensorFlow's start-up logging
    families,
    flagsgen,
    training,
)
from tfgan import config as config_lib
from tfgan.run.config import RunConfig

FLAGS = flags.FLAGS

flags.DEFINE_string(
    "preset", "default", f"Preset (it names the family) that fills unset flags: {', '.join(families.all_presets())}."
)
FIELDS = flagsgen.define([RunConfig, *(f.params for f in families.FAMILIES.values())], skip=("preset",))


def config_from_flags() -> config_lib.Config:
    """The frozen config the flags describe (preset + explicit flags)."""
    return config_lib.resolve(FLAGS.preset, **flagsgen.given(FLAGS, FIELDS))


def main(argv):
    cli.no_arguments(argv)
    result = training.train(config_from_flags())
    print(f"trained {result.config.run.model_dir} to step {result.step}")
    if result.report:
        print(result.report)
    for name, path in result.artefacts.items():  # none on a non-chief worker, which writes no files
        print(f"{name}: {path}")
    if result.export_dir:
        print(f"export:  {result.export_dir}")


def run():
    """Console-script entry point (`tfgan-train`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
