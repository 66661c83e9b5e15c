"""`TranslationParams`: the parameters of the image-to-image translation family."""

from __future__ import annotations

import dataclasses

from tfgan.augment import parse_policy
from tfgan.errors import ConfigError, unknown_choices

MODELS = ("cyclegan", "pix2pix")
UPSAMPLES = ("transpose", "resize")
SERVE_SIZES = ("train", "native")


@dataclasses.dataclass(frozen=True)
class TranslationParams:
    """CycleGAN (Zhu et al. 2017) and pix2pix (Isola et al. 2017).

    Attributes:
      domain_a: Domain A: any image source spec (digits, tfds:NAME,
        folder:DIR, npz:FILE, offline:NAME), optionally one class of it
        (SPEC#class=NAME_OR_LABEL); for pix2pix, pairs:DIR.
      domain_b: Domain B, as domain_a (empty for pix2pix's pairs:DIR).
      data_dir: TFDS data directory of tfds: domains.
      model: cyclegan (unpaired: two generators, two discriminators, cycle
        loss) | pix2pix (paired: U-Net, conditional PatchGAN, L1).
      image_size: Training side length; default: the domains' (the larger).
      channels: 1 or 3; default: the domains' (RGB when they differ).
      jitter: Random crop (resize to 1.12x, crop back) and horizontal flip
        of the training images; default: on from 64 px.
      generator_filters: Filters of the generators' first layer (ngf).
      resnet_blocks: Residual blocks of CycleGAN's generators; default: 9
        from 256 px, 6 from 128, 4 from 64, 3 below.
      unet_depth: Down-samplings of pix2pix's U-Net; default: log2 of the
        size, at most 8 (256 px: 8, as in the paper).
      discriminator_filters: Filters of the PatchGAN's first layer (ndf).
      discriminator_layers: Stride-2 layers of the PatchGAN (3: the 70x70
        PatchGAN).
      upsample: transpose (transposed convolutions, the paper's) | resize
        (nearest-neighbour resize then convolution: no checkerboard
        artifacts, Odena et al. 2016).
      lambda_cycle: Weight of the cycle-consistency L1 loss (paper: 10).
      lambda_identity: Identity loss weight, as a fraction of lambda_cycle
        (paper: 0.5); 0 turns it off.
      cycle_noise: Standard deviation of Gaussian noise added to each
        translation before the other generator reconstructs it (in [-1, 1]
        pixel units; Bashkirova et al. 2019's defence against the cycle
        loss being met by a hidden, low-amplitude code instead of the
        visible content); 0: off (the paper's CycleGAN).
      class_conditional: CycleGAN's discriminators judge (image, class)
        pairs: each real image with its own label, each translation with
        its source image's label (one one-hot plane per class joins D's
        input, as in Mirza & Osindero 2014's conditional GAN), so G_ab(a)
        must look like a B image of a's class. Needs both domains labelled
        with the same classes (e.g. digits and MNIST). The generators, and
        so the export, stay label-free. Off: the paper's CycleGAN.
      num_classes: The classes of a class-conditional run; set from the
        domains' labels.
      lambda_l1: pix2pix's L1 weight (paper: 100).
      pool_size: Generated images kept per discriminator (Shrivastava et
        al. 2017); D sees a mix of new and older fakes; 0 turns it off.
      learning_rate: Adam's learning rate, for G and D (paper: 2e-4).
      beta_1: Adam's beta_1 (paper: 0.5).
      decay_epochs: The last this-many epochs of the run decay the learning
        rate linearly to 0; before, it is constant (paper: 100 of 200).
      ema_decay: Keep an exponential moving average of the generators'
        weights (e.g. 0.999), exported in their place; 0: off.
      diffaugment: DiffAugment transforms of the discriminators' inputs,
        e.g. translation,cutout (for small domains); empty: off.
      serve_size: The export resizes inputs to the training size and back
        (train), or runs fully convolutionally on the input's own size,
        padded to the network's multiple (native).
    """

    domain_a: str = "digits"
    domain_b: str = "offline:mnist_5k"
    data_dir: str | None = None
    model: str = "cyclegan"
    image_size: int | None = None
    channels: int | None = None
    jitter: bool | None = None
    generator_filters: int = 64
    resnet_blocks: int | None = None
    unet_depth: int | None = None
    discriminator_filters: int = 64
    discriminator_layers: int = 3
    upsample: str = "transpose"
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    cycle_noise: float = 0.0
    class_conditional: bool = False
    num_classes: int | None = None
    lambda_l1: float = 100.0
    pool_size: int = 50
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    decay_epochs: float = 0.0
    ema_decay: float = 0.0
    diffaugment: str = ""
    serve_size: str = "train"

    def __post_init__(self):
        errors = problems(self)
        if errors:
            raise ConfigError("invalid translation parameters:\n  " + "\n  ".join(errors))


def problems(p: TranslationParams) -> list[str]:
    """Everything wrong with `p`, one message per field."""
    errors = unknown_choices(p, model=MODELS, upsample=UPSAMPLES, serve_size=SERVE_SIZES)
    if not p.domain_a:
        errors.append("--domain_a is required (an image source spec, or pairs:DIR for pix2pix)")
    if p.model == "cyclegan" and not p.domain_b:
        errors.append("--model=cyclegan needs --domain_b (unpaired domains); pairs:DIR is for --model=pix2pix")
    if p.model == "pix2pix" and not p.domain_a.startswith("pairs:"):
        errors.append(f"--model=pix2pix trains on paired data: --domain_a=pairs:DIR (got {p.domain_a!r})")
    if p.image_size is not None and p.image_size < 8:
        errors.append(f"--image_size must be >= 8, got {p.image_size}")
    if p.channels not in (None, 1, 3):
        errors.append(f"--channels must be 1 or 3, got {p.channels}")
    for name in ("generator_filters", "discriminator_filters", "discriminator_layers"):
        if getattr(p, name) < 1:
            errors.append(f"--{name} must be a positive integer, got {getattr(p, name)}")
    for name in ("resnet_blocks", "unet_depth"):
        if getattr(p, name) is not None and getattr(p, name) < 1:
            errors.append(f"--{name} must be a positive integer, got {getattr(p, name)}")
    for name in ("lambda_cycle", "lambda_identity", "cycle_noise", "lambda_l1", "decay_epochs"):
        if getattr(p, name) < 0:
            errors.append(f"--{name} must be >= 0, got {getattr(p, name)}")
    if p.class_conditional and p.model != "cyclegan":
        errors.append("--class_conditional is for --model=cyclegan (paired data has no class labels)")
    if p.num_classes is not None and p.num_classes < 2:
        errors.append(f"--num_classes must be >= 2, got {p.num_classes}")
    if p.pool_size < 0:
        errors.append(f"--pool_size must be >= 0 (0: off), got {p.pool_size}")
    if not p.learning_rate > 0:
        errors.append(f"--learning_rate must be positive, got {p.learning_rate}")
    if not 0 <= p.beta_1 < 1:
        errors.append(f"--beta_1 must lie in [0, 1), got {p.beta_1}")
    if not 0 <= p.ema_decay < 1:
        errors.append(f"--ema_decay must lie in [0, 1) (0: off), got {p.ema_decay}")
    try:
        parse_policy(p.diffaugment)
    except ValueError as e:
        errors.append(f"--diffaugment: {e}")
    return errors


def default_resnet_blocks(image_size: int) -> int:
    """9 residual blocks from 256 px, 6 from 128 (the reference code's), 4 from 64, 3 below."""
    if image_size >= 256:
        return 9
    if image_size >= 128:
        return 6
    return 4 if image_size >= 64 else 3


def default_unet_depth(image_size: int) -> int:
    """log2 of the largest power of two dividing the size, at most 8 (the paper's unet_256)."""
    depth = 0
    while depth < 8 and image_size % (2 ** (depth + 1)) == 0 and image_size // 2 ** (depth + 1) >= 1:
        depth += 1
    return max(1, depth)
