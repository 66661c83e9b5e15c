"""`python -m tfgan.convert_weights`: a PyTorch network's weights as the .npz that tfgan loads.

    python -m tfgan.convert_weights --torch=model_ir_se50.pth --out=ir_se50.npz   # ArcFace IR-SE50
    python -m tfgan.convert_weights --lpips=alex --out=lpips_alex.npz           # LPIPS (lpips package)

Run it once where PyTorch is installed (and torchvision + lpips for
--lpips); the .npz keeps PyTorch's keys and layouts, and tfgan reads it
without PyTorch: --backbone_weights / --id_weights (IR-SE50) and
--lpips_weights of the pSp family. The flags are generated from
`tfgan.torchweights.ConvertOptions`.
"""

from __future__ import annotations

from absl import flags

from tfgan import (
    cli,  # first: it quiets TensorFlow's start-up logging
    flagsgen,
)
from tfgan.errors import ConfigError
from tfgan.torchweights import ConvertOptions, convert

FLAGS = flags.FLAGS
FIELDS = flagsgen.define([ConvertOptions])


def main(argv):
    cli.no_arguments(argv)
    values = flagsgen.given(FLAGS, FIELDS)
    if "out" not in values:
        raise ConfigError("--out=FILE.npz is required, with --torch=FILE.pth or --lpips=alex|vgg.")
    options = flagsgen.build(ConvertOptions, values, what="tfgan.convert_weights")
    state = convert(options)
    print(f"{len(state)} tensors -> {options.out}")


def run():
    """Console-script entry point (`tfgan-convert-weights`)."""
    cli.start(main)


if __name__ == "__main__":
    run()
