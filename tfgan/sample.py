"""`python -m tfgan.sample`: samples from an export of any family, with nothing but the SavedModel.

The export's metadata.json names its family; that family's sample options
(`tfgan.run.family.Family.sample_options`) say which flags apply.
"""

from __future__ import annotations

import os

from absl import flags

from tfgan import (
    cli,  # first: it quiets TensorFlow's start-up logging
    families,
    flagsgen,
)
from tfgan.errors import ConfigError, TfganError
from tfgan.run import exports

FLAGS = flags.FLAGS
FIELDS = flagsgen.define([f.sample_options for f in families.FAMILIES.values() if f.sample_options])


def main(argv):
    cli.no_arguments(argv)
    values = flagsgen.given(FLAGS, FIELDS)
    if not values.get("export_dir"):
        raise ConfigError("--export_dir is required (e.g. runs/default/export/generator).")
    if not os.path.isdir(values["export_dir"]):
        raise TfganError(f"--export_dir={values['export_dir']} does not exist.")
    family = families.get(exports.load_metadata(exports.latest_version(values["export_dir"]))["family"])
    if family.sample is None:
        raise TfganError(f"exports of the {family.name} family cannot be sampled with tfgan.sample.")
    print(family.sample(flagsgen.build(family.sample_options, values, what=f"sampling a {family.name} export")))


def run():
    """Console-script entry point (`tfgan-sample`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
