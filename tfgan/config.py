"""The frozen training configuration and the presets that fill it."""

from __future__ import annotations

import dataclasses
import json
import math

from tfgan import augment
from tfgan.distribute import STRATEGIES
from tfgan.errors import ConfigError
from tfgan.losses import LOSS_FAMILIES
from tfgan.networks import MODELS

OPTIMIZERS = ("adam", "paper_sgd")
# Models whose discriminator takes --spectral_norm.


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; written to ``<model_dir>/config.json``.

    Attributes:
      preset: The preset the other fields were filled from.
      dataset: A `pipelines.open_source` spec (``digits``, ``tfds:mnist``,
        ``folder:PATH``, ``npz:PATH``).
      data_dir: TFDS data directory.
      split: The split to train on: ``train`` (or ``test``) for every
        source, any TFDS split string (e.g. ``train[:50000]``) for TFDS.
      image_size: Square image side; None keeps the dataset's own.
      channels: 1 or 3; None keeps the dataset's own.
      model: Network family of `tfgan.networks.MODELS`.
      loss: Loss family of `tfgan.losses.LOSS_FAMILIES`.
      d_steps: k of Algorithm 1: D updates per G update.
      batch_size: Images per minibatch.
      steps: Total train steps (G updates); exclusive with `epochs`.
      epochs: Total passes over the data (k minibatches per step).
      latent_dim: Size of z.
      optimizer: ``adam`` or ``paper_sgd`` (the paper's momentum SGD).
      lr: Learning rate of both players (of G only when `d_lr` is set).
      d_lr: D's learning rate; None uses `lr`.
      beta_1: Adam's beta_1.
      momentum_ramp_epochs: paper_sgd: epochs over which momentum rises
        from 0.5 to 0.7.
      seed: Seeds weights, noise and data order.
      model_dir: Where checkpoints, logs, samples and exports go.
      checkpoint_every: Save a checkpoint every this many steps (and at the
        end).
      keep_checkpoints: Checkpoints kept on disk.
      log_every: Write scalars to TensorBoard every this many steps.
      sample_every: Write a sample grid every this many steps; 0 means once
        per epoch.
      export: Export the generator at the end of training.
      jit_compile: Compile the train step with XLA.
      steps_per_execution: Train steps per call into the compiled function.
      on_nan: ``stop`` (default) or ``skip``: what a NaN/inf loss or
        gradient does. Its update is never applied either way.
      max_nan_skips: With ``on_nan=skip``, stop after this many skipped
        updates.
      eval_every: Log a cheap Parzen estimate to TensorBoard every this many
        steps (``eval/parzen_ll``); 0 turns it off.
      deterministic: Deterministic TensorFlow ops, so an interrupted and
        resumed run ends with the same weights as an uninterrupted one.
      mixed_precision: float16 compute with float32 variables, logits and
        losses, and dynamic loss scaling for both optimisers (see
        `tfgan.precision`); for GPUs, slow on CPUs.
      strategy: ``default`` (one device), ``mirrored`` (this machine's
        GPUs), ``multi_worker`` (the machines in ``TF_CONFIG``) or ``tpu``;
        see `tfgan.distribute`. `batch_size` is the global batch, split
        evenly over the replicas.
      tpu: With ``strategy=tpu``: the TPU's name or ``grpc://`` address
        (None: the TPU VM's own).
      sync_batchnorm: BatchNormalization uses the global batch's statistics
        (all replicas') instead of each replica's own.
      conditional: Class-conditional G and D (`tfgan.conditioning`); needs
        labelled data.
      num_classes: Classes of a conditional model; None takes the
        dataset's own (resolved and saved in config.json).
      beta_2: Adam's beta_2.
      gp_weight: lambda of the WGAN-GP gradient penalty (Gulrajani et al.
        2017); 0 turns it off.
      r1_gamma: gamma of the R1 penalty (Mescheder et al. 2018); 0 turns it
        off.
      r1_interval: Lazy R1 (Karras et al. 2020): every this many D updates,
        with gamma scaled by it.
      spectral_norm: Spectral normalisation of D's layers (Miyato et al.
        2018).
      diffaugment: Comma-separated DiffAugment transforms (Zhao et al.
        2020) of `tfgan.augment.POLICIES`; empty turns it off.
      ema_decay: Decay of the EMA of G's weights used for samples,
        evaluation and export; 0 turns it off.
      max_image_pixels: ``folder:`` datasets: the largest width x height of
        an image file that is decoded (read from its header first); None:
        `pipelines.folder.MAX_IMAGE_PIXELS` (8192 x 8192).
    """

    preset: str = "default"
    dataset: str = "digits"
    data_dir: str | None = None
    split: str = "train"
    image_size: int | None = None
    channels: int | None = None
    model: str = "dcgan"
    loss: str = "non_saturating"
    d_steps: int = 1
    batch_size: int = 64
    steps: int | None = None
    epochs: int | None = None
    latent_dim: int = 100
    optimizer: str = "adam"
    lr: float = 2e-4
    d_lr: float | None = None
    beta_1: float = 0.5
    momentum_ramp_epochs: int = 250
    seed: int = 0
    model_dir: str = "runs/default"
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    log_every: int = 1
    sample_every: int = 0
    export: bool = True
    jit_compile: bool = False
    steps_per_execution: int = 1
    on_nan: str = "stop"
    max_nan_skips: int = 10
    deterministic: bool = False
    eval_every: int = 0
    mixed_precision: bool = False
    strategy: str = "default"
    tpu: str | None = None
    sync_batchnorm: bool = False
    conditional: bool = False
    num_classes: int | None = None
    beta_2: float = 0.999
    gp_weight: float = 0.0
    r1_gamma: float = 0.0
    r1_interval: int = 1
    spectral_norm: bool = False
    diffaugment: str = ""
    ema_decay: float = 0.0
    max_image_pixels: int | None = None

    def __post_init__(self):
        errors = []
        if self.model not in MODELS:
            errors.append(f"--model={self.model!r} is unknown; choose one of: {', '.join(MODELS)}")
        if self.loss not in LOSS_FAMILIES:
            errors.append(f"--loss={self.loss!r} is unknown; choose one of: {', '.join(LOSS_FAMILIES)}")
        if self.optimizer not in OPTIMIZERS:
            errors.append(f"--optimizer={self.optimizer!r} is unknown; choose one of: {', '.join(OPTIMIZERS)}")
        positive = ("d_steps", "batch_size", "latent_dim", "checkpoint_every", "keep_checkpoints", "log_every")
        positive += ("steps_per_execution", "momentum_ramp_epochs")
        for name in positive:
            if getattr(self, name) < 1:
                errors.append(f"--{name} must be a positive integer, got {getattr(self, name)}")
        for name in ("steps", "epochs", "image_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                errors.append(f"--{name} must be a positive integer, got {value}")
        if not 0 <= self.seed < 2**31:  # NumPy and TensorFlow seeds must be non-negative
            errors.append(f"--seed must be an integer in [0, 2**31), got {self.seed}")
        if self.on_nan not in ("stop", "skip"):
            errors.append(f"--on_nan={self.on_nan!r} is unknown; choose stop or skip")
        if self.max_nan_skips < 0:
            errors.append(f"--max_nan_skips must be >= 0, got {self.max_nan_skips}")
        if self.eval_every < 0:
            errors.append(f"--eval_every must be >= 0 (0: off), got {self.eval_every}")
        if self.sample_every < 0:
            errors.append(f"--sample_every must be >= 0 (0: every epoch), got {self.sample_every}")
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
        if self.steps is not None and self.epochs is not None:
            errors.append("give --steps or --epochs, not both")
        if self.steps is None and self.epochs is None:
            errors.append("give --steps or --epochs")
        if self.strategy not in STRATEGIES:
            errors.append(f"--strategy={self.strategy!r} is unknown; choose one of: {', '.join(STRATEGIES)}")
        if self.tpu and self.strategy != "tpu":
            errors.append(f"--tpu={self.tpu} needs --strategy=tpu (now {self.strategy!r}); pass both or neither")
        if not self.model_dir:
            errors.append("--model_dir must not be empty")
        if self.num_classes is not None and not self.conditional:
            errors.append("--num_classes only applies to conditional models; add --conditional or drop it")
        if self.max_image_pixels is not None and self.max_image_pixels < 1:
            errors.append(f"--max_image_pixels must be a positive integer, got {self.max_image_pixels}")
        if self.num_classes is not None and self.num_classes < 2:
            errors.append(f"--num_classes must be at least 2, got {self.num_classes}")
        if errors:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# What each preset sets; the dataclass defaults fill the rest.
PRESETS: dict[str, dict] = {
    # The embedded digits, upsampled to 16x16 (at 8x8 the DCGAN discriminator is
    # too shallow to teach G): recognisable digits in about 2-3 CPU minutes.
    "default": dict(
        dataset="digits",
        image_size=16,
        model="dcgan",
        loss="non_saturating",
        batch_size=64,
        steps=1500,
        optimizer="adam",
        lr=2e-4,
        beta_1=0.5,
        model_dir="runs/default",
    ),
    # Goodfellow et al. 2014's MNIST experiment, as their released mnist.yaml:
    # the first 50,000 training images (the last 10,000 validate the Parzen
    # window), and D's objective halved (d_obj = 0.5 * (...)), which for SGD
    # is D's learning rate halved.
    "paper_mnist": dict(
        dataset="tfds:mnist",
        split="train[:50000]",
        d_lr=0.05,
        model="mlp",
        loss="non_saturating",
        d_steps=1,
        batch_size=100,
        epochs=100,
        latent_dim=100,
        optimizer="paper_sgd",
        lr=0.1,
        momentum_ramp_epochs=250,
        model_dir="runs/paper_mnist",
        checkpoint_every=3000,
    ),
    # The TensorFlow DCGAN tutorial on MNIST.
    "dcgan_mnist": dict(
        dataset="tfds:mnist",
        model="dcgan",
        loss="non_saturating",
        batch_size=256,
        epochs=50,
        optimizer="adam",
        lr=1e-4,
        beta_1=0.9,
        model_dir="runs/dcgan_mnist",
        checkpoint_every=1000,
    ),
    # Class-conditional MNIST (Mirza & Osindero 2014's task) with the DCGAN
    # networks: z plus a label embedding in G, a projection discriminator
    # (Miyato & Koyama 2018). After the 2000 steps (35 minutes on a shared
    # 2-core CPU) the domain classifier reads the asked-for digit in 99% of
    # samples (docs/families_conditional.md).
    "cgan_mnist": dict(
        dataset="tfds:mnist",
        model="dcgan",
        conditional=True,
        loss="non_saturating",
        batch_size=64,
        steps=2000,
        optimizer="adam",
        lr=2e-4,
        beta_1=0.5,
        model_dir="runs/cgan_mnist",
        checkpoint_every=500,
    ),
    # SNGAN on CIFAR-10 (Miyato et al. 2018, Table 3 setting C / appendix
    # B.4): the ResNet networks, spectral norm on D, hinge loss, n_dis = 5
    # D steps, Adam(2e-4, beta_1=0, beta_2=0.9), batch 64, 50k generator
    # updates.
    "sngan_cifar10": dict(
        dataset="tfds:cifar10",
        model="resnet",
        spectral_norm=True,
        loss="hinge",
        d_steps=5,
        batch_size=64,
        steps=50000,
        latent_dim=128,
        optimizer="adam",
        lr=2e-4,
        beta_1=0.0,
        beta_2=0.9,
        model_dir="runs/sngan_cifar10",
        checkpoint_every=1000,
    ),
    # WGAN-GP (Gulrajani et al. 2017, Algorithm 1) on MNIST with the DCGAN
    # networks (D has no BatchNorm, which the per-example penalty needs):
    # lambda = 10, n_critic = 5, Adam(1e-4, beta_1=0, beta_2=0.9).
    "wgan_gp_mnist": dict(
        dataset="tfds:mnist",
        model="dcgan",
        loss="wasserstein",
        gp_weight=10.0,
        d_steps=5,
        batch_size=64,
        steps=20000,
        optimizer="adam",
        lr=1e-4,
        beta_1=0.0,
        beta_2=0.9,
        model_dir="runs/wgan_gp_mnist",
        checkpoint_every=1000,
    ),
}

# Fields a checkpoint's variables depend on (image_size and channels as resolved
# from the data): resuming with other values is refused.
SHAPE_FIELDS = ("model", "image_size", "channels", "latent_dim", "optimizer", "mixed_precision")
SHAPE_FIELDS += ("conditional", "num_classes", "spectral_norm")
# Fields that change what a checkpoint means: also refused at a resume, with
# why (`tfgan.run.recovery.REFUSED_ON_RESUME` adds --batch_size and --seed).
MEANING_FIELDS = {
    "loss": "D and G were trained for another objective: the checkpoint would mean something else",
    "dataset": "the weights were fitted to other data, and the data position restored would be meaningless",
    "split": "the weights were fitted to other data, and the data position restored would be meaningless",
    "d_steps": "the data position restored is counted in groups of the old k",
}


def resolve(preset: str = "default", **overrides) -> TrainConfig:
    """Builds a config from a preset and explicitly given fields.

    Args:
      preset: A key of `PRESETS`.
      **overrides: Field values that replace the preset's; None values are
        ignored. Setting one of `steps`/`epochs` clears the other.

    Raises:
      ConfigError: Unknown preset or field, or invalid values.
    """
    if preset not in PRESETS:
        raise ConfigError(f"--preset={preset!r} is unknown; choose one of: {', '.join(PRESETS)}")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = set(overrides) - known
    if unknown:
        raise ConfigError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    values = dict(PRESETS[preset], preset=preset)
    given = {k: v for k, v in overrides.items() if v is not None}
    if "steps" in given and "epochs" not in given:
        values.pop("epochs", None)
    if "epochs" in given and "steps" not in given:
        values.pop("steps", None)
    values.update(given)
    return TrainConfig(**values)


def incompatibilities(saved: TrainConfig, new: TrainConfig) -> list[str]:
    """The shape-defining fields where `new` differs from a run's `saved` config."""
    return [
        f"--{name}: checkpoint has {getattr(saved, name)!r}, now {getattr(new, name)!r}"
        for name in SHAPE_FIELDS
        if getattr(saved, name) != getattr(new, name)
    ]
