"""`StyleGANParams`: the StyleGAN2 family's parameters (the family half of a run's config)."""

from __future__ import annotations

import dataclasses
import math

from tfgan import augment
from tfgan.errors import ConfigError
from tfgan.families.stylegan import synthesis
from tfgan.families.stylegan.discriminator import num_residual_blocks


@dataclasses.dataclass(frozen=True)
class StyleGANParams:
    """What a StyleGAN2 run trains (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN").

    Attributes:
      dataset: Any image source spec (digits, tfds:NAME, folder:DIR,
        npz:FILE, offline:NAME), optionally one class of it
        (SPEC#class=NAME_OR_LABEL, e.g. offline:animal_mnist#class=horse).
      data_dir: TFDS data directory (e.g. ../shared/datasets/tfds).
      split: Split to train on: train | test | a TFDS split.
      image_size: Side of the generated images: a power of two >= 16 (the
        data is resized to it).
      channels: 1 (grey) or 3 (RGB); default: the dataset's own.
      latent_dim: Size of z.
      w_dim: Size of w (the mapping network's output, one W+ row).
      mapping_layers: Dense layers of the mapping network (paper: 8).
      mapping_lr_mult: Learning-rate multiplier of the mapping network
        (paper: 0.01).
      channel_base: Feature maps at resolution r: min(channel_base / r,
        channel_max), in G and D (paper: 32768).
      channel_max: The most feature maps of any layer (paper: 512).
      lr: Adam's learning rate of G and D (paper: 0.002), before the
        lazy-regularisation correction.
      beta_1: Adam's beta_1 (paper: 0).
      beta_2: Adam's beta_2 (paper: 0.99), before the lazy-regularisation
        correction.
      r1_gamma: R1 penalty gamma on D (paper: 10 at 1024 px); 0 = off.
      r1_interval: Lazy R1: every N steps, weighted by N (paper: 16).
      style_mixing: Probability that a generated image mixes two codes,
        switching at a random layer (paper: 0.9); 0 = off.
      pl_weight: Path-length regularisation weight of G (paper: 2); 0 = off.
      pl_interval: Lazy path-length regularisation: every N steps,
        weighted by N (paper: 4).
      ema_decay: EMA of G's weights (mapping and synthesis) for samples
        and the export, e.g. 0.999; 0 = off.
      diffaugment: DiffAugment transforms of D's inputs:
        color,translation,cutout; '' = off.
      init_from: A fresh run starts from this StyleGAN2 run's latest
        checkpoint (G, D, mapping, EMA) or from an export (G only; D
        starts afresh): fine-tuning domain A's model on this run's data.
        Ignored when the run resumes from its own checkpoint.
      freeze_d_layers: FreezeD (Mo et al. 2020): D's first N residual
        blocks, counted from the image, are not trained; 0 = off.
    """

    dataset: str = "digits"
    data_dir: str | None = None
    split: str = "train"
    image_size: int = 32
    channels: int | None = None
    latent_dim: int = 512
    w_dim: int = 512
    mapping_layers: int = 8
    mapping_lr_mult: float = 0.01
    channel_base: int = 32768
    channel_max: int = 512
    lr: float = 0.002
    beta_1: float = 0.0
    beta_2: float = 0.99
    r1_gamma: float = 10.0
    r1_interval: int = 16
    style_mixing: float = 0.9
    pl_weight: float = 0.0
    pl_interval: int = 4
    ema_decay: float = 0.999
    diffaugment: str = ""
    init_from: str | None = None
    freeze_d_layers: int = 0

    def __post_init__(self):
        errors = problems(self)
        if errors:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))


def problems(p: StyleGANParams) -> list[str]:
    """Everything wrong with `p`, one message per field."""
    errors = []
    if not synthesis.is_valid_size(p.image_size):
        low = max(synthesis.MIN_SIZE, 2 ** int(math.log2(max(1, p.image_size))))
        errors.append(
            f"--image_size={p.image_size}: StyleGAN2 makes images of a power-of-two side >= {synthesis.MIN_SIZE} "
            f"(it doubles the resolution from 4x4); use e.g. --image_size={low} or {max(low * 2, 32)}"
        )
    if p.channels not in (None, 1, 3):
        errors.append(f"--channels must be 1 or 3, got {p.channels}")
    for name in ("latent_dim", "w_dim", "mapping_layers", "channel_base", "channel_max", "r1_interval", "pl_interval"):
        if getattr(p, name) < 1:
            errors.append(f"--{name} must be a positive integer, got {getattr(p, name)}")
    for name in ("lr", "mapping_lr_mult"):
        if not (math.isfinite(getattr(p, name)) and getattr(p, name) > 0):
            errors.append(f"--{name} must be a positive number, got {getattr(p, name)}")
    for name in ("beta_1", "beta_2", "ema_decay"):
        if not 0 <= getattr(p, name) < 1:
            errors.append(f"--{name} must be in [0, 1), got {getattr(p, name)}")
    for name in ("r1_gamma", "pl_weight"):
        if not (math.isfinite(getattr(p, name)) and getattr(p, name) >= 0):
            errors.append(f"--{name} must be a number >= 0 (0: off), got {getattr(p, name)}")
    if not 0 <= p.style_mixing <= 1:
        errors.append(f"--style_mixing is a probability in [0, 1] (0: off), got {p.style_mixing}")
    try:
        augment.parse_policy(p.diffaugment)
    except ValueError as e:
        errors.append(f"--diffaugment={p.diffaugment!r}: {e}")
    if p.init_from is not None and not p.init_from:
        errors.append("--init_from must name a StyleGAN2 run or export directory (or be left out)")
    if p.freeze_d_layers < 0:
        errors.append(f"--freeze_d_layers must be >= 0 (0: off), got {p.freeze_d_layers}")
    elif synthesis.is_valid_size(p.image_size):
        most = num_residual_blocks(p.image_size)
        if p.freeze_d_layers > most:
            errors.append(
                f"--freeze_d_layers={p.freeze_d_layers}: the {p.image_size}-px discriminator has {most} residual "
                f"blocks; freeze at most {most}"
            )
    return errors


# Fields a checkpoint's variables depend on (channels as resolved from the data;
# freeze_d_layers decides which D weights D's optimiser holds slots for):
# resuming with other values is refused.
SHAPE_FIELDS = (
    "image_size",
    "channels",
    "latent_dim",
    "w_dim",
    "mapping_layers",
    "channel_base",
    "channel_max",
    "freeze_d_layers",
)
# The networks' shape and which generator is exported (--ema_decay), plus the metadata's facts.
EXPORT_FIELDS = (*SHAPE_FIELDS, "ema_decay", "dataset")
# Fields that change what a checkpoint means: refused at a resume too, with why.
MEANING_FIELDS = {
    "dataset": "the weights were fitted to other data, and the data position restored would be meaningless",
    "split": "the weights were fitted to other data, and the data position restored would be meaningless",
}
