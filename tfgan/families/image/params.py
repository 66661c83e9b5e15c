"""`ImageParams`: the image GAN's parameters (the family half of a run's config)."""

from __future__ import annotations

import dataclasses
import math

from tfgan import augment
from tfgan.errors import ConfigError, unknown_choices
from tfgan.families.image.model import UPDATES
from tfgan.families.image.networks import MODELS
from tfgan.losses import LOSSES

OPTIMIZERS = ("adam", "paper_sgd")
CONV_LEVERS = ("measure", "static", "keras")


@dataclasses.dataclass(frozen=True)
class ImageParams:
    """What the image GAN trains: data, networks, loss, optimisers and extensions.

    Attributes:
      dataset: digits | tfds:<name>[/config] | folder:<path> | npz:<path>
        (a `pipelines.open_source` spec).
      data_dir: TFDS data directory (e.g. ../shared/datasets/tfds).
      split: Split to train on: train | test | a TFDS split such as
        train[:50000].
      image_size: Square image side; default: the dataset's own.
      channels: 1 (grey) or 3 (RGB); default: the dataset's own.
      model: Networks: mlp (the paper's) | dcgan (the TF tutorial's) |
        resnet (SNGAN's).
      loss: minimax (the paper's eq. 1) | non_saturating | wasserstein |
        hinge | least_squares.
      d_steps: k of Algorithm 1: discriminator steps per generator step.
      update: alternating (Algorithm 1: D steps, then G on fresh noise) |
        simultaneous (one G(z) per step, both players' gradients from it,
        applied together: the paper's released code and the TF tutorial;
        needs --d_steps=1).
      latent_dim: Size of the noise vector z.
      optimizer: adam | paper_sgd (momentum 0.5->0.7, lr decayed by
        1/1.000004).
      lr: Learning rate of both players (of G only when --d_lr is set).
      d_lr: Discriminator's learning rate; default: --lr.
      beta_1: Adam's beta_1.
      beta_2: Adam's beta_2.
      momentum_ramp_epochs: paper_sgd: epochs over which momentum rises to
        0.7.
      conditional: Class-conditional G and D (labels from the dataset).
      num_classes: Classes of --conditional; default: the dataset's own.
      gp_weight: WGAN-GP gradient penalty weight lambda (Gulrajani et al.
        2017); 0 = off.
      r1_gamma: R1 penalty gamma (Mescheder et al. 2018); 0 = off.
      r1_interval: Lazy R1: apply every N D steps with gamma scaled by N.
      spectral_norm: Spectral normalisation of D's Dense/Conv layers
        (Miyato et al. 2018).
      diffaugment: DiffAugment transforms for D's inputs:
        color,translation,cutout; '' = off.
      ema_decay: EMA of G's weights for samples/eval/export (e.g. 0.999);
        0 = off.
      conv_levers: measure (the default: time each fast-form convolution
        against Keras' own layer at a fresh run's start and keep the faster;
        cached per machine and shape in ~/.cache/tfgan/levers.json, saved
        with the run's checkpoints so that a resume keeps the same forms) |
        static (the fast forms wherever the AVX2 measurements chose them) |
        keras (Keras' layers only).
      eval_every: Log a Parzen estimate (eval/parzen_ll) every N steps; 0 =
        off.
      max_image_pixels: folder: datasets: the largest width x height of an
        image file that is decoded (read from its header first); default
        8192 x 8192.
    """

    dataset: str = "digits"
    data_dir: str | None = None
    split: str = "train"
    image_size: int | None = None
    channels: int | None = None
    model: str = "dcgan"
    loss: str = "non_saturating"
    d_steps: int = 1
    update: str = "alternating"
    latent_dim: int = 100
    optimizer: str = "adam"
    lr: float = 2e-4
    d_lr: float | None = None
    beta_1: float = 0.5
    beta_2: float = 0.999
    momentum_ramp_epochs: int = 250
    conditional: bool = False
    num_classes: int | None = None
    gp_weight: float = 0.0
    r1_gamma: float = 0.0
    r1_interval: int = 1
    spectral_norm: bool = False
    diffaugment: str = ""
    ema_decay: float = 0.0
    conv_levers: str = "measure"
    eval_every: int = 0
    max_image_pixels: int | None = None

    def __post_init__(self):
        errors = unknown_choices(
            self, model=MODELS, loss=LOSSES, optimizer=OPTIMIZERS, update=UPDATES, conv_levers=CONV_LEVERS
        )
        if self.update == "simultaneous" and self.d_steps != 1:
            errors.append(
                f"--update=simultaneous makes one D and one G update per step; drop --d_steps={self.d_steps} "
                "or use --update=alternating"
            )
        for name in ("d_steps", "latent_dim", "momentum_ramp_epochs"):
            if getattr(self, name) < 1:
                errors.append(f"--{name} must be a positive integer, got {getattr(self, name)}")
        if self.image_size is not None and self.image_size < 1:
            errors.append(f"--image_size must be a positive integer, got {self.image_size}")
        if self.eval_every < 0:
            errors.append(f"--eval_every must be >= 0 (0: off), got {self.eval_every}")
        if self.channels not in (None, 1, 3):
            errors.append(f"--channels must be 1 or 3, got {self.channels}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            errors.append(f"--lr must be a positive number, got {self.lr}")
        if self.d_lr is not None and not (math.isfinite(self.d_lr) and self.d_lr > 0):
            errors.append(f"--d_lr must be a positive number, got {self.d_lr}")
        if not 0 <= self.beta_1 < 1:
            errors.append(f"--beta_1 must be in [0, 1), got {self.beta_1}")
        if not 0 <= self.beta_2 < 1:
            errors.append(f"--beta_2 must be in [0, 1), got {self.beta_2}")
        for name in ("gp_weight", "r1_gamma"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                errors.append(f"--{name} must be a number >= 0 (0: off), got {getattr(self, name)}")
        if self.r1_interval < 1:
            errors.append(f"--r1_interval must be a positive integer (1: R1 on every D step), got {self.r1_interval}")
        if not 0 <= self.ema_decay < 1:
            errors.append(f"--ema_decay must be in [0, 1) (0: off; typically 0.999), got {self.ema_decay}")
        try:
            augment.parse_policy(self.diffaugment)
        except ValueError as e:
            errors.append(f"--diffaugment={self.diffaugment!r}: {e}")
        if self.num_classes is not None and not self.conditional:
            errors.append("--num_classes only applies to conditional models; add --conditional or drop it")
        if self.max_image_pixels is not None and self.max_image_pixels < 1:
            errors.append(f"--max_image_pixels must be a positive integer, got {self.max_image_pixels}")
        if self.num_classes is not None and self.num_classes < 2:
            errors.append(f"--num_classes must be at least 2, got {self.num_classes}")
        if errors:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))


# Fields a checkpoint's variables depend on (image_size and channels as resolved
# from the data): resuming with other values is refused.
SHAPE_FIELDS = ("model", "image_size", "channels", "latent_dim", "optimizer")
SHAPE_FIELDS += ("conditional", "num_classes", "spectral_norm")
# What an export holds besides the checkpoint's tensors: the networks' shape,
# which generator (--ema_decay) and the metadata's facts.
EXPORT_FIELDS = (*SHAPE_FIELDS, "ema_decay", "loss", "dataset")
# Fields that change what a checkpoint means: refused at a resume too, with why
# (`tfgan.run.recovery.REFUSED_ON_RESUME` adds the run's --batch_size and --seed).
MEANING_FIELDS = {
    "loss": "D and G were trained for another objective: the checkpoint would mean something else",
    "dataset": "the weights were fitted to other data, and the data position restored would be meaningless",
    "split": "the weights were fitted to other data, and the data position restored would be meaningless",
    "d_steps": "the data position restored is counted in groups of the old k",
}
