"""`PSPParams`: the pSp encoder family's parameters (the family half of a run's config)."""

from __future__ import annotations

import dataclasses
import math

from tfgan.errors import ConfigError, unknown_choices

# The encoder's backbones (`tfgan.families.psp.networks`).
BACKBONES = ("small", "ir_se50")


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
      backbone: The encoder's backbone: small (a narrow, shallow IR ResNet
        shaped by the three fields below, for a CPU) or ir_se50 (pSp's
        IR-SE50: 64-512 maps, 3/4/14/3 units; the three fields below do not
        apply to it).
      backbone_weights: With ir_se50: ArcFace's IR-SE50 weights
        (``model_ir_se50.pth`` converted by ``python -m
        tfgan.convert_weights``) to start the backbone from, as pSp does.
      encoder_width: Feature maps of the small backbone's first stage;
        stages double it.
      encoder_max: The most feature maps of any small-backbone stage.
      encoder_blocks: Residual (IR) blocks per small-backbone stage.
      l2_weight: Weight of the L2 pixel loss (pSp's --l2_lambda: 1.0).
      w_norm_weight: Weight of the W-norm regulariser, the L2 norm of W+
        minus the mean w (pSp's --w_norm_lambda: 0 by default, 0.005 in its
        sketch, segmentation and frontalisation settings).
      lpips_weights: LPIPS weights (AlexNet or VGG16 and the linear heads,
        an .npz of ``python -m tfgan.convert_weights --lpips=alex``): adds
        pSp's LPIPS loss. None: no LPIPS.
      lpips_weight: Its weight (pSp's --lpips_lambda: 0.8); 0 turns it off.
      id_weights: ArcFace IR-SE50 weights (``model_ir_se50.pth`` converted
        by ``python -m tfgan.convert_weights``): adds pSp's identity loss,
        1 - the cosine of the input's and the reconstruction's face
        embeddings (for aligned faces). None: no identity loss.
      id_weight: Its weight (pSp's --id_lambda: 0.1); 0 turns it off.
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
    backbone: str = "small"
    backbone_weights: str | None = None
    encoder_width: int = 64
    encoder_max: int = 512
    encoder_blocks: int = 1
    l2_weight: float = 1.0
    w_norm_weight: float = 0.0
    lpips_weights: str | None = None
    lpips_weight: float = 0.8
    id_weights: str | None = None
    id_weight: float = 0.1
    lr: float = 1e-4
    beta_1: float = 0.9
    beta_2: float = 0.999

    def __post_init__(self):
        errors = problems(self)
        if errors:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))


def active_losses(p: PSPParams) -> dict[str, tuple[float, str | None]]:
    """Each loss pSp trains on -> (its weight, its network's weights file); LPIPS and ID only with a file."""
    losses = {"l2": (p.l2_weight, None), "w_norm": (p.w_norm_weight, None)}
    if p.lpips_weights:
        losses["lpips"] = (p.lpips_weight, p.lpips_weights)
    if p.id_weights:
        losses["id"] = (p.id_weight, p.id_weights)
    return losses


def problems(p: PSPParams) -> list[str]:
    """Everything wrong with `p`, one message per field."""
    errors = []
    if p.generator is not None and not p.generator:
        errors.append("--generator must name a StyleGAN2 run directory or generator export")
    for name in ("encoder_width", "encoder_max", "encoder_blocks"):
        if getattr(p, name) < 1:
            errors.append(f"--{name} must be a positive integer, got {getattr(p, name)}")
    for name in ("l2_weight", "w_norm_weight", "lpips_weight", "id_weight"):
        value = getattr(p, name)
        if not (math.isfinite(value) and value >= 0):
            errors.append(f"--{name} must be a number >= 0 (0: off), got {value}")
    if not any(weight for weight, _ in active_losses(p).values()):
        errors.append(
            "no loss has a weight above 0 (--l2_weight, --w_norm_weight; --lpips_weight and --id_weight count "
            "only with their weights files): the encoder would have nothing to learn"
        )
    if not (math.isfinite(p.lr) and p.lr > 0):
        errors.append(f"--lr must be a positive number, got {p.lr}")
    for name in ("beta_1", "beta_2"):
        if not 0 <= getattr(p, name) < 1:
            errors.append(f"--{name} must be in [0, 1), got {getattr(p, name)}")
    errors += unknown_choices(p, backbone=BACKBONES)
    if p.backbone_weights is not None and p.backbone != "ir_se50":
        errors.append(
            f"--backbone_weights={p.backbone_weights}: pretrained weights exist only for pSp's IR-SE50; "
            f"add --backbone=ir_se50 or leave --backbone_weights out (--backbone={p.backbone})"
        )
    for name in ("backbone_weights", "lpips_weights", "id_weights"):
        if getattr(p, name) == "":
            errors.append(f"--{name} is empty: name an .npz of converted weights or leave the flag out")
    return errors


# Fields the encoder's variables depend on: resuming with other values is refused.
SHAPE_FIELDS = (
    "image_size",
    "channels",
    "num_ws",
    "w_dim",
    "backbone",
    "encoder_width",
    "encoder_max",
    "encoder_blocks",
)
# What decides an export besides the checkpoint (the generator it holds, the metadata).
EXPORT_FIELDS = (*SHAPE_FIELDS, "generator", "dataset")
MEANING_FIELDS = {
    "generator": "the encoder was fitted to invert another generator",
    "dataset": "the weights were fitted to other data, and the data position restored would be meaningless",
    "split": "the weights were fitted to other data, and the data position restored would be meaningless",
}
