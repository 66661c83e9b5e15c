"""`python -m tfgan.blend`: blend two StyleGAN2 generators by resolution (Pinkney & Adler 2020).

    python -m tfgan.blend --low=runs/stylegan2_mnist32 --high=runs/horses \\
        --swap_resolution=16 [--blend_width=0.5] --out=runs/blend/export/generator

The synthesis layers below --swap_resolution (and the mapping network and
mean w) come from --low, those at it and above from --high; the result is
published as a new StyleGAN2 generator export DIR/<version>/ (see
`tfgan.families.stylegan.blend`). The flags are generated from
`tfgan.families.stylegan.blend.BlendOptions`.
"""

from __future__ import annotations

import dataclasses

from absl import flags

from tfgan import (
    cli,  # first: it quiets TensorFlow's start-up logging
    flagsgen,
)
from tfgan.errors import ConfigError
from tfgan.families.stylegan import blend

FLAGS = flags.FLAGS
FIELDS = flagsgen.define([blend.BlendOptions])
REQUIRED = tuple(f.name for f in dataclasses.fields(blend.BlendOptions) if f.default is dataclasses.MISSING)


def main(argv):
    cli.no_arguments(argv)
    values = flagsgen.given(FLAGS, FIELDS)
    missing = [f"--{name}" for name in REQUIRED if name not in values]
    if missing:
        raise ConfigError(
            f"{', '.join(missing)} required, e.g. --low=RUN_A --high=RUN_B --swap_resolution=16 --out=DIR."
        )
    options = flagsgen.build(blend.BlendOptions, values, what="tfgan.blend")
    version = blend.write_blend(**dataclasses.asdict(options))
    print(f"blended generator -> {version}")


def run():
    """Console-script entry point (`tfgan-blend`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
