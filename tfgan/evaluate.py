"""`python -m tfgan.evaluate`: score an export of any family.

The export's metadata.json names its family; that family's evaluation
options (`tfgan.run.family.Family.eval_options`) say which flags apply. For
the image GAN: the Parzen-window table of Goodfellow et al. 2014 with this
generator's row, domain-classifier metrics (``--train_classifier``) and,
given InceptionV3 weights, FID/KID/IS. Everything goes to ``--out`` too.
"""

from __future__ import annotations

import json
import os

from absl import flags

from tfgan import (
    cli,  # first: it quiets TensorFlow's start-up logging
    families,
    flagsgen,
)
from tfgan.errors import ConfigError, TfganError
from tfgan.fileio import atomic_write
from tfgan.run import exports

FLAGS = flags.FLAGS
flags.DEFINE_string("out", "eval.json", "Where the results go (JSON).")
FIELDS = flagsgen.define([f.eval_options for f in families.FAMILIES.values() if f.eval_options])


def main(argv):
    cli.no_arguments(argv)
    values = flagsgen.given(FLAGS, FIELDS)
    if not values.get("export_dir"):
        raise ConfigError("--export_dir is required (e.g. runs/default/export/generator).")
    if not os.path.isdir(values["export_dir"]):
        raise TfganError(f"--export_dir={values['export_dir']} does not exist.")
    family = families.get(exports.load_metadata(exports.latest_version(values["export_dir"]))["family"])
    if family.evaluate is None:
        raise TfganError(f"exports of the {family.name} family have no evaluation yet.")
    options = flagsgen.build(family.eval_options, values, what=f"evaluating a {family.name} export")
    results = family.evaluate(options)
    print(family.format_results(results))
    atomic_write(FLAGS.out, json.dumps(results, indent=2, sort_keys=True, default=float) + "\n")
    print(f"results: {FLAGS.out}")


def run():
    """Console-script entry point (`tfgan-evaluate`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
