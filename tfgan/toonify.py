"""`python -m tfgan.toonify`: a translator export from a pSp encoder and another StyleGAN2 generator.

    python -m tfgan.toonify --encoder=runs/psp_horses32/export/encoder \\
        --generator=runs/zebras --out=runs/toonify/export/translator

writes ``OUT/<version>/`` in the translation family's translator format
(a_to_b = A's encoder then B's generator; b_to_a too with --encoder_b and
--generator_a): `tfgan.translate` and ``tfgan.evaluate`` take it as they
take a CycleGAN's. See `tfgan.families.psp.toonify`.
"""

from __future__ import annotations

from absl import flags

from tfgan import cli, flagsgen  # cli first: it quiets TensorFlow's start-up logging
from tfgan.families.psp import toonify as toonify_lib

FLAGS = flags.FLAGS
FIELDS = flagsgen.define([toonify_lib.ToonifyOptions])


def main(argv):
    cli.no_arguments(argv)
    options = flagsgen.build(toonify_lib.ToonifyOptions, flagsgen.given(FLAGS, FIELDS), what="tfgan.toonify")
    version = toonify_lib.toonify(options)
    print(f"translator: {version}")
    print(f"try:        python -m tfgan.translate --export_dir={version} --input=IMAGES --output=OUT")


def run():
    """Console-script entry point."""
    cli.start(main)


if __name__ == "__main__":
    run()
