"""From `TranslationParams` to data and a compiled `CycleGAN` / `Pix2Pix`: what ``setup`` is made of."""

from __future__ import annotations

import dataclasses

import keras
from keras import ops

from pipelines import domains as domains_lib
from tfgan import precision
from tfgan.augment import parse_policy
from tfgan.errors import ConfigError
from tfgan.families.translation import networks
from tfgan.families.translation.model import CycleGAN, Pix2Pix
from tfgan.families.translation.params import TranslationParams, default_resnet_blocks, default_unet_depth


@keras.saving.register_keras_serializable(package="tfgan.translation")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The CycleGAN/pix2pix schedule: `rate` for the first steps, then linearly to 0 at `total_steps`.

    The reference code's ``lambda_rule`` (``n_epochs`` constant, then
    ``n_epochs_decay`` linear), counted in steps.
    """

    def __init__(self, rate, total_steps, decay_steps):
        self.rate, self.total_steps, self.decay_steps = float(rate), int(total_steps), int(decay_steps)

    def __call__(self, step):
        if self.decay_steps <= 0:
            return ops.convert_to_tensor(self.rate, "float32")
        left = ops.cast(self.total_steps, "float32") - ops.cast(step, "float32")
        return self.rate * ops.clip(left / float(self.decay_steps), 0.0, 1.0)

    def get_config(self):
        return {"rate": self.rate, "total_steps": self.total_steps, "decay_steps": self.decay_steps}


def open_data(params: TranslationParams, split: str = "train") -> domains_lib.DomainPair:
    """The two domains of `params` (paired for pix2pix) at its size and channels."""
    if params.model == "pix2pix":
        if split != "train":
            raise ConfigError("pairs:DIR has no test split; evaluate on a separate pairs:DIR.")
        return domains_lib.open_pairs(params.domain_a, image_size=params.image_size, channels=params.channels)
    return domains_lib.open_domains(
        params.domain_a,
        params.domain_b,
        data_dir=params.data_dir,
        split=split,
        image_size=params.image_size,
        channels=params.channels,
    )


def network_multiple(params: TranslationParams) -> int:
    """Image sides the generators take must be multiples of this."""
    if params.model == "pix2pix":
        return networks.unet_multiple(params.unet_depth or default_unet_depth(params.image_size))
    return networks.resnet_multiple()


def network_min_size(params: TranslationParams) -> int:
    """The smallest side the generators take (the ResNet's reflect padding needs 2 pixels at 1/4 size)."""
    if params.model == "pix2pix":
        return network_multiple(params)
    return 2 * networks.resnet_multiple()


def domain_classes(params: TranslationParams, domains: domains_lib.DomainPair) -> int | None:
    """The class count of a class-conditional run (both domains', which must agree), else None.

    Raises:
      ConfigError: A domain has no labels, one class, or other classes than the other.
    """
    if not params.class_conditional:
        return None
    # A #class= restriction keeps its parent's class count but holds one class.
    counts = [
        1 if isinstance(source, domains_lib.ClassSource) else source.info.num_classes or 0
        for source in (domains.a, domains.b)
    ]
    for spec, count in zip(domains.names, counts, strict=True):
        if count < 2:
            what = "no class labels" if count == 0 else "a single class"
            raise ConfigError(
                f"--class_conditional needs labelled domains, and {spec} has {what}; use labelled sources "
                f"(e.g. digits, offline:mnist_5k, tfds:mnist, npz: with labels) without #class=, or turn it "
                f"off with --noclass_conditional."
            )
    if counts[0] != counts[1]:
        raise ConfigError(
            f"--class_conditional needs the same classes in both domains; {domains.names[0]} has {counts[0]}, "
            f"{domains.names[1]} has {counts[1]}. Turn it off with --noclass_conditional."
        )
    if params.num_classes is not None and params.num_classes != counts[0]:
        raise ConfigError(
            f"--num_classes={params.num_classes}, but the domains have {counts[0]} classes; leave --num_classes "
            f"unset (it is read from the domains)."
        )
    return counts[0]


def resolve(params: TranslationParams, domains: domains_lib.DomainPair) -> TranslationParams:
    """`params` with the data-decided fields filled in (size, channels, blocks, depth, jitter, classes).

    Raises:
      ConfigError: The image size does not suit the generator, or the
        domains cannot be class-conditional.
    """
    size, _, channels = domains.image_shape
    resolved = dataclasses.replace(
        params,
        image_size=size,
        channels=channels,
        jitter=domains_lib.jitter_default(size) if params.jitter is None else params.jitter,
        resnet_blocks=params.resnet_blocks or default_resnet_blocks(size),
        unet_depth=params.unet_depth or default_unet_depth(size),
        num_classes=domain_classes(params, domains),
    )
    multiple = network_multiple(resolved)
    if size % multiple:
        fix = (size // multiple + 1) * multiple
        raise ConfigError(
            f"--image_size={size} must be a multiple of {multiple} for --model={params.model}; use --image_size={fix}."
        )
    return resolved


def build_networks(params: TranslationParams) -> dict:
    """The networks of a resolved `params`: ``{g_ab, g_ba, d_a, d_b}`` or ``{generator, discriminator}``."""
    c = params.channels
    if params.model == "pix2pix":
        return {
            "generator": networks.unet_generator(
                c, filters=params.generator_filters, depth=params.unet_depth, upsample=params.upsample
            ),
            "discriminator": networks.conditional_patch_discriminator(
                c, c, filters=params.discriminator_filters, layers_count=params.discriminator_layers
            ),
        }
    g = dict(filters=params.generator_filters, blocks=params.resnet_blocks, upsample=params.upsample)
    d = dict(filters=params.discriminator_filters, layers_count=params.discriminator_layers)
    d_channels = c + class_planes(params)  # a class-conditional D also takes the label's one-hot planes
    return {
        "g_ab": networks.resnet_generator(c, name="g_ab", **g),
        "g_ba": networks.resnet_generator(c, name="g_ba", **g),
        "d_a": networks.patch_discriminator(d_channels, name="d_a", **d),
        "d_b": networks.patch_discriminator(d_channels, name="d_b", **d),
    }


def class_planes(params: TranslationParams) -> int:
    """One-hot label planes a discriminator's input holds besides the image (0 unless class-conditional).

    Raises:
      ConfigError: A class-conditional `params` is not resolved (no class count).
    """
    if not params.class_conditional:
        return 0
    if not params.num_classes:
        raise ConfigError("a class-conditional run's params need num_classes (resolve them against the domains).")
    return params.num_classes


def build_model(
    params: TranslationParams,
    *,
    total_steps: int,
    steps_per_epoch: int,
    seed: int = 0,
    mixed_precision: bool = False,
    **compile_kwargs,
):
    """A compiled `CycleGAN` or `Pix2Pix` for a resolved `params`.

    Args:
      total_steps: The run's length in steps (the schedule ends at 0 there).
      steps_per_epoch: Steps per epoch (``decay_epochs`` is counted in them).
      seed: Weight, pool and augmentation seed.
      mixed_precision: float16 compute with loss scaling (`tfgan.precision`).
      **compile_kwargs: To `keras.Model.compile` (jit_compile, steps_per_execution).
    """
    keras.utils.set_random_seed(seed)
    nets = build_networks(params)
    if mixed_precision:
        for net in nets.values():
            precision.use_mixed_precision(net)
    decay_steps = int(round(params.decay_epochs * steps_per_epoch))
    optimizers = []
    for _ in range(2):
        rate = ConstantThenLinearDecay(params.learning_rate, total_steps, min(decay_steps, total_steps))
        optimizer = keras.optimizers.Adam(rate, beta_1=params.beta_1, beta_2=0.999)
        optimizers.append(precision.loss_scaled(optimizer) if mixed_precision else optimizer)
    policy = parse_policy(params.diffaugment)
    if params.model == "pix2pix":
        model = Pix2Pix(
            nets["generator"],
            nets["discriminator"],
            lambda_l1=params.lambda_l1,
            ema_decay=params.ema_decay,
            diffaugment=policy,
            seed=seed,
        )
    else:
        model = CycleGAN(
            nets["g_ab"],
            nets["g_ba"],
            nets["d_a"],
            nets["d_b"],
            image_shape=(params.image_size, params.image_size, params.channels),
            pool_size=params.pool_size,
            lambda_cycle=params.lambda_cycle,
            lambda_identity=params.lambda_identity,
            cycle_noise=params.cycle_noise,
            num_classes=class_planes(params),
            ema_decay=params.ema_decay,
            diffaugment=policy,
            seed=seed,
        )
    model.compile(g_optimizer=optimizers[0], d_optimizer=optimizers[1], **compile_kwargs)
    model.build_optimizers()
    return model
