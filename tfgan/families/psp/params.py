"""`PSPParams`: the pSp encoder family's parameters (the family half of a run's config)."""

from __future__ import annotations

import dataclasses
import math

from tfgan.errors import ConfigError

# What LPIPS and the identity loss would need: said when a weights file is given.
_UNSUPPORTED_WEIGHTS = (
    "tfgan has no {what} network to load weights into yet, and no file format for it is implemented, so the "
    "file is not used; leave --{flag} out (the encoder then trains on the L2 and w-norm losses, as "
    "pSp's --{lam}=0)"
)


@dataclasses.dataclass(frozen=True)
class PSPParams:
    """What a pSp encoder run trains (Richardson et al. 2021, "Encoding in Style").

    Attributes:
      generator: The StyleGAN2 generator to invert: a StyleGAN2 run directory
        (its latest checkpoint; the EMA networks when kept) or a generator
        export (export/generator or a version in it). It is frozen: only the
        encoder trains.
      dataset: Real images of the generator's domain: any image source spec
        (offline:mnist_5k, folder:DIR, ...), optionally one class of it
        (SPEC#class=NAME_OR_LABEL). Resized to the generator's size.
      data_dir: TFDS data directory (e.g. ../shared/datasets/tfds).
      split: Split to train on: train | test | a TFDS split.
      image_size: The generator's image size (filled in from it; giving
        another value is refused).
      channels: The generator's channels (filled in from it).
      num_ws: Rows of W+ (filled in from the generator).
      w_dim: Width of a W+ row (filled in from the generator).
      encoder_width: Feature maps of the encoder's first stage; stages
        double it (pSp's IR-50: 64).
      encoder_max: The most feature maps of any encoder stage (IR-50: 512).
      encoder_blocks: Residual (IR) blocks per stage (IR-50: 3, 4, 14, 3).
      l2_weight: Weight of the L2 pixel loss (pSp's --l2_lambda: 1.0).
      w_norm_weight: Weight of the W-norm regulariser, the L2 norm of W+
        minus the mean w (pSp's --w_norm_lambda: 0 by default, 0.005 in its
        sketch, segmentation and frontalisation settings).
      lpips_weights: A file of LPIPS network weights (pSp's --lpips_lambda
        0.8): not supported yet, refused with an explanation.
      id_weights: A file of ArcFace (IR-SE50) weights for pSp's identity
        loss (--id_lambda 0.1, faces only): not supported yet, refused.
      lr: Adam's learning rate (pSp: 1e-4, with Ranger, which Keras lacks).
      beta_1: Adam's beta_1.
      beta_2: Adam's beta_2.
    """

    generator: str | None = None
    dataset: str = "offline:mnist_5k"
    data_dir: str | None = None
    split: str = "train"
    image_size: int | None = None
    channels: int | None = None
    num_ws: int | None = None
    w_dim: int | None = None
    encoder_width: int = 64
    encoder_max: int = 512
    encoder_blocks: int = 1
    l2_weight: float = 1.0
    w_norm_weight: float = 0.0
    lpips_weights: str | None = None
    id_weights: str | None = None
    lr: float = 1e-4
    beta_1: float = 0.9
    beta_2: float = 0.999

    def __post_init__(self):
        errors = problems(self)
        if errors:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))


def problems(p: PSPParams) -> list[str]:
    """Everything wrong with `p`, one message per field."""
    errors = []
    if p.generator is not None and not p.generator:
        errors.append("--generator must name a StyleGAN2 run directory or generator export")
    for name in ("encoder_width", "encoder_max", "encoder_blocks"):
        if getattr(p, name) < 1:
            errors.append(f"--{name} must be a positive integer, got {getattr(p, name)}")
    for name in ("l2_weight", "w_norm_weight"):
        value = getattr(p, name)
        if not (math.isfinite(value) and value >= 0):
            errors.append(f"--{name} must be a number >= 0 (0: off), got {value}")
    if not p.l2_weight and not p.w_norm_weight:
        errors.append("--l2_weight and --w_norm_weight are both 0: the encoder would have nothing to learn")
    if not (math.isfinite(p.lr) and p.lr > 0):
        errors.append(f"--lr must be a positive number, got {p.lr}")
    for name in ("beta_1", "beta_2"):
        if not 0 <= getattr(p, name) < 1:
            errors.append(f"--{name} must be in [0, 1), got {getattr(p, name)}")
    if p.lpips_weights is not None:
        errors.append(
            f"--lpips_weights={p.lpips_weights}: LPIPS is not supported: "
            + _UNSUPPORTED_WEIGHTS.format(
                what="LPIPS (AlexNet/VGG features + linear heads)", flag="lpips_weights", lam="lpips_lambda"
            )
        )
    if p.id_weights is not None:
        errors.append(
            f"--id_weights={p.id_weights}: the identity loss is not supported: "
            + _UNSUPPORTED_WEIGHTS.format(what="ArcFace (IR-SE50)", flag="id_weights", lam="id_lambda")
        )
    return errors


# Fields the encoder's variables depend on: resuming with other values is refused.
SHAPE_FIELDS = ("image_size", "channels", "num_ws", "w_dim", "encoder_width", "encoder_max", "encoder_blocks")
# What decides an export besides the checkpoint (the generator it holds, the metadata).
EXPORT_FIELDS = (*SHAPE_FIELDS, "generator", "dataset")
MEANING_FIELDS = {
    "generator": "the encoder was fitted to invert another generator",
    "dataset": "the weights were fitted to other data, and the data position restored would be meaningless",
    "split": "the weights were fitted to other data, and the data position restored would be meaningless",
}
