"""Setting up an image-GAN run for the run machinery: data, networks, `GAN`, checkpoint contents, summaries, export."""

from __future__ import annotations

import dataclasses
import logging
import os

import keras
import numpy as np
import tensorflow as tf

import pipelines
from tfgan import convolution, distribute, ema, guards, losses, precision
from tfgan.errors import ConfigError, TfganError
from tfgan.families.image import evaluation, export, networks, replicas, summaries
from tfgan.families.image.conditioning import with_labels
from tfgan.families.image.model import GAN
from tfgan.families.image.params import ImageParams
from tfgan.families.image.watchdog import CollapseWatchdog
from tfgan.images import write_png
from tfgan.optimizers import paper_sgd
from tfgan.run import checkpoints
from tfgan.run.callbacks import current_step
from tfgan.run.config import RunConfig
from tfgan.run.family import SetupContext, Trainer

SAMPLE_GRID = 64
# Fixed z per class row of a conditional run's sample grid.
CONDITIONAL_COLUMNS = 8
# The export's folder under <model_dir>/export/.
EXPORT_NAME = "generator"
log = logging.getLogger(__name__)


def make_optimizers(params: ImageParams, steps_per_epoch: int):
    """``(d_optimizer, g_optimizer)`` for the params."""
    d_lr = params.d_lr or params.lr
    if params.optimizer == "paper_sgd":
        ramp = params.momentum_ramp_epochs * steps_per_epoch
        return paper_sgd(d_lr, ramp_steps=ramp * params.d_steps), paper_sgd(params.lr, ramp_steps=ramp)
    return (
        keras.optimizers.Adam(d_lr, beta_1=params.beta_1, beta_2=params.beta_2),
        keras.optimizers.Adam(params.lr, beta_1=params.beta_1, beta_2=params.beta_2),
    )


def model_classes(params: ImageParams) -> int | None:
    """The number of classes of the run's networks; None when unconditional."""
    return params.num_classes if params.conditional else None


def network_options(params: ImageParams) -> dict:
    """Model keyword arguments beyond the shape: only those switched on."""
    return {"spectral_norm": True} if params.spectral_norm else {}


def fixed_latent(seed: int, params: ImageParams, noise: str, n: int = SAMPLE_GRID) -> np.ndarray:
    """The run's fixed z for sample grids: the same on every resume."""
    return export.stateless_latent(np.arange(n) + seed * 1_000_000, params.latent_dim, noise).numpy()


def fixed_inputs(seed: int, params: ImageParams, noise: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(z, labels)`` of the run's sample grids.

    Unconditional: `SAMPLE_GRID` fixed z and no labels. Conditional: one row
    per class, each row the same `CONDITIONAL_COLUMNS` fixed z, so a column
    shows one z across the classes.
    """
    if not params.conditional:
        return fixed_latent(seed, params, noise), None
    z = fixed_latent(seed, params, noise, CONDITIONAL_COLUMNS)
    labels = np.repeat(np.arange(params.num_classes, dtype=np.int32), CONDITIONAL_COLUMNS)
    return np.tile(z, (params.num_classes, 1)), labels


def extension_options(params: ImageParams, seed: int) -> dict:
    """The `GAN.compile` ``extensions`` options (penalties, DiffAugment, EMA) of the params."""
    return dict(
        gp_weight=params.gp_weight,
        r1_gamma=params.r1_gamma,
        r1_interval=params.r1_interval,
        diffaugment=params.diffaugment,
        ema_decay=params.ema_decay,
        augment_seed=seed + 1,
    )


def extension_checkpoint_objects(gan: GAN) -> dict:
    """What the extensions add to the checkpoint, so a resumed run continues exactly.

    Only what is on: the checkpoints of a run without them keep their layout.
    """
    objects = {}
    if gan.r1_gamma:
        objects["d_updates"] = gan.d_updates
    if gan.gp_weight:
        objects["penalty_rng"] = gan.penalty_seed.state
    if gan.augmenter is not None:
        objects["augment_rng"] = gan.augmenter.seed_generator.state
    if gan.ema_generator is not None:
        objects["ema_generator"] = gan.ema_generator
    return objects


def _resolve_classes(params: ImageParams, info) -> int:
    """The class count of a conditional run: the data's, or a larger --num_classes."""
    if not info.num_classes:
        raise ConfigError(
            f"--conditional needs class labels, and --dataset={params.dataset} has none (a folder without class "
            f"subfolders, or an npz without y). Use labelled data (digits, tfds:mnist, folder:<path> with one "
            f"subfolder per class, npz with y) or drop --conditional."
        )
    if params.num_classes is not None and params.num_classes < info.num_classes:
        raise ConfigError(
            f"--num_classes={params.num_classes} is less than the {info.num_classes} classes of "
            f"--dataset={params.dataset}; drop --num_classes to use the dataset's own."
        )
    return params.num_classes or info.num_classes


def open_data(params: ImageParams) -> tuple[ImageParams, pipelines.ImageSource]:
    """Opens the training data; returns the params with its image size, channels and classes filled in."""
    source = pipelines.open_source(
        params.dataset,
        data_dir=params.data_dir,
        split=params.split,
        image_size=params.image_size,
        channels=params.channels,
        max_image_pixels=params.max_image_pixels,
    )
    h, _, c = source.info.image_shape
    params = dataclasses.replace(params, image_size=h, channels=c)
    if params.conditional:
        params = dataclasses.replace(params, num_classes=_resolve_classes(params, source.info))
    return params, source


def build_networks(params: ImageParams, pixel_mean=None, mixed_precision=False) -> networks.Networks:
    """The resolved params' G and D (``mixed_float16`` compute when asked)."""
    shape = (params.image_size, params.image_size, params.channels)
    try:
        nets = networks.build(
            params.model,
            params.latent_dim,
            shape,
            pixel_mean=pixel_mean,
            num_classes=model_classes(params),
            **network_options(params),
        )
    except ValueError as e:
        raise ConfigError(f"--model={params.model}: {e}") from e
    if mixed_precision:
        precision.use_mixed_precision(nets.generator)
        precision.use_mixed_precision(nets.discriminator)
    return nets


def choose_levers(nets: networks.Networks, mode: str, batch_size: int, *, measure: bool = True) -> dict:
    """Sets the networks' fast-form convolutions by ``--conv_levers`` (`tfgan.convolution.decide_levers`).

    With `measure` False (a resumed run) ``measure`` times nothing: the run's
    checkpointed choices are set after the restore (`lever_state`).

    Returns the decisions of ``measure`` (empty for the other modes).
    """
    models = [nets.generator, nets.discriminator]
    if mode == "measure" and measure:
        return convolution.decide_levers(models, batch_size)
    if mode == "keras":
        for model in models:
            for layer in model._flatten_layers():
                if isinstance(layer, (convolution.Conv2D, convolution.Conv2DTranspose)):
                    layer.fast_path = False
    return {}


def lever_state(nets: networks.Networks) -> tf.Variable:
    """The networks' convolution forms as a checkpointed variable (`tfgan.convolution.lever_choices`).

    A measured choice (``--conv_levers=measure``) is the machine's at the
    run's start; a resume on another machine, or after the timing cache was
    cleared, could choose differently, and the two forms round differently,
    so a resumed run would not continue the same numerics. The fresh run's
    choices are saved with its checkpoints and restored instead.
    """
    choices = convolution.lever_choices([nets.generator, nets.discriminator])
    return tf.Variable(tf.constant(choices, tf.int32, shape=[len(choices)]), trainable=False, name="conv_levers")


def collapse_watchdog(gan: GAN, params: ImageParams, fixed_z, fixed_labels, steps_per_epoch: int) -> CollapseWatchdog:
    """The run's `CollapseWatchdog`: checks 4 times an epoch after the first epoch, patience 5 checks.

    D(G(z)) is watched under the probabilistic losses only (a critic's
    scores are no probabilities); the diversity of the fixed-z grid always.
    """

    def sample():
        return keras.ops.convert_to_numpy(gan.sampling_generator(with_labels(fixed_z, fixed_labels), training=False))

    return CollapseWatchdog(
        every=max(1, steps_per_epoch // 4),
        patience=5,
        d_fake_floor=1e-3 if params.loss in losses.PROBABILISTIC_LOSSES else None,
        sample_fn=sample,
        warmup=steps_per_epoch,
    )


def _set_learning_rate(optimizer, value: float) -> None:
    inner = precision.unscaled(optimizer)
    if not isinstance(inner._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        inner.learning_rate = value


def export_metadata(run: RunConfig, params: ImageParams, nets: networks.Networks, step: int) -> dict:
    """The image GAN's facts for metadata.json (besides the signatures')."""
    return {
        "model": params.model,
        "preset": run.preset,
        "loss": params.loss,
        "dataset": params.dataset,
        "step": step,
        "value_range": list(nets.output_range),
        "ema_decay": params.ema_decay,
    }


def _write_export(run, params, nets, generator, step, staging, **extra) -> dict:
    return export.write_generator(
        generator,
        staging,
        latent_dim=params.latent_dim,
        noise=nets.noise,
        value_range=nets.output_range,
        metadata={**export_metadata(run, params, nets, step), **extra},
        num_classes=model_classes(params),
    )


def setup(ctx: SetupContext) -> Trainer:
    """Builds the image GAN of `ctx` (inside the strategy's scope): see `tfgan.run.family.Trainer`.

    Raises:
      ConfigError: The model cannot make images of the data's shape, or a
        conditional model under several replicas.
      pipelines.PipelineError: The data cannot be read.
    """
    run, strategy = ctx.run, ctx.strategy
    if ctx.params.conditional and distribute.is_distributed(strategy):
        # The distributed input carries images only (see replicas.distributed).
        raise ConfigError(
            f"--conditional is not supported with {strategy.num_replicas_in_sync} replicas yet; "
            "train conditional models with --strategy=default (or a single-device strategy)."
        )
    params, source = open_data(ctx.params)
    # Checked here, before the run machinery writes anything into the run directory.
    pipelines.check_batch_size(source.info, run.batch_size)
    if params.conditional:
        source.check_labels(params.num_classes)  # -1 would wrap around to the last class
    keras.utils.set_random_seed(run.seed)
    pixel_mean = None
    if params.model in networks.USES_PIXEL_MEAN and ctx.fresh:
        pixel_mean = pipelines.mean_image(source)  # a fresh run's initial output bias
    nets = build_networks(params, pixel_mean, run.mixed_precision)
    guards.warn_batchnorm_batch(nets.generator, run.batch_size // strategy.num_replicas_in_sync)
    choose_levers(nets, params.conv_levers, run.batch_size, measure=ctx.fresh)
    levers = lever_state(nets)
    gan = GAN(
        nets.generator,
        nets.discriminator,
        latent_dim=params.latent_dim,
        noise=nets.noise,
        d_steps=params.d_steps,
        seed=run.seed,
        num_classes=model_classes(params),
        update=params.update,
    )
    spe = pipelines.steps_per_epoch(source.info, run.batch_size, params.d_steps)
    d_opt, g_opt = make_optimizers(params, spe)
    if run.mixed_precision:
        d_opt, g_opt = precision.loss_scaled(d_opt), precision.loss_scaled(g_opt)
    gan.compile(
        d_optimizer=d_opt,
        g_optimizer=g_opt,
        loss=params.loss,
        jit_compile=run.jit_compile,
        steps_per_execution=run.steps_per_execution,
        extensions=extension_options(params, run.seed),
    )
    gan.build_optimizers()
    replicas.prepare_gan(gan, strategy, sync_batchnorm=run.sync_batchnorm)
    checkpoint = dict(
        generator=gan.generator,
        discriminator=gan.discriminator,
        d_optimizer=d_opt,
        g_optimizer=g_opt,
        step=gan.step,
        rng=gan.seed_generator.state,
        # Dropout's RNG states: without them a resumed run draws other masks.
        layer_rngs=checkpoints.layer_rng_states(gan.generator, gan.discriminator),
        conv_levers=levers,
        **extension_checkpoint_objects(gan),
    )
    # --ema_decay only changes what is exported, not how G and D train, so a
    # run may switch it on at a resume: the average then starts from G.
    # A checkpoint older than the saved convolution choices ran the static rule.
    optional = {"conv_levers": lambda: levers.assign(tf.ones_like(levers))}
    if gan.ema_generator is not None:
        optional["ema_generator"] = lambda: ema.restart(gan.ema_generator, gan.generator)

    def after_restore():
        # A checkpoint also holds each optimiser's learning-rate variable; the
        # config's rates win, so a resumed run can change --lr/--d_lr.
        _set_learning_rate(d_opt, params.d_lr or params.lr)
        _set_learning_rate(g_opt, params.lr)
        models = [nets.generator, nets.discriminator]
        if params.conv_levers == "measure":
            convolution.set_lever_choices(models, levers.numpy())
        else:  # --conv_levers changed at this resume: the checkpoints record what now runs
            levers.assign(convolution.lever_choices(models))

    def dataset(start_step: int) -> tf.data.Dataset:
        ds = pipelines.make_train_dataset(
            source,
            run.batch_size,
            seed=run.seed,
            value_range=nets.output_range,
            group=params.d_steps,
            start_step=start_step,
        )
        return replicas.distributed(ds, strategy)

    fixed_z, fixed_labels = fixed_inputs(run.seed, params, nets.noise)
    summarize = summaries.Summaries(gan, fixed_z, nets.output_range, fixed_labels, loss=params.loss)

    def finish(model_dir: str) -> dict:
        path = os.path.join(model_dir, "samples.png")
        write_png(path, summarize.grid())
        return {"samples": path}

    def report(logs: dict) -> str:
        if summaries.is_probabilistic(params.loss):
            return summaries.equilibrium_report(logs)
        return summaries.critic_report(logs)  # a critic's scores have no equilibrium value

    def callbacks(writer) -> list:
        extra = [collapse_watchdog(gan, params, fixed_z, fixed_labels, spe)]
        if params.eval_every:
            extra.append(evaluation.parzen_monitor(params, source, nets.output_range, writer))
        return extra

    return Trainer(
        model=gan,
        params=params,
        steps_per_epoch=spe,
        checkpoint=checkpoint,
        optional=optional,
        dataset=dataset,
        summarize=summarize,
        report=report,
        finish=finish,
        export=lambda staging: _write_export(run, params, nets, gan.sampling_generator, current_step(gan), staging),
        export_name=EXPORT_NAME,
        progress=summaries.progress(params.loss),
        tags=summaries.tags(params.loss),
        layout=summaries.layout(params.loss),
        constants=summaries.constants(params.loss),
        callbacks=callbacks,
        after_restore=after_restore,
    )


def export_checkpoint(run: RunConfig, params: ImageParams, checkpoint: str, staging: str) -> dict:
    """Writes the generator of `checkpoint` into `staging` (no data needed); returns its metadata.

    With --ema_decay the export is the averaged generator, once a checkpoint
    holds one (the EMA may have been switched on at a resume).

    Raises:
      TfganError: The checkpoint is missing, damaged or from another model.
    """
    nets = build_networks(params)
    step = tf.Variable(0, dtype=tf.int64)
    key = "generator"
    try:
        if params.ema_decay > 0 and checkpoints.checkpoint_has(checkpoint, "ema_generator"):
            key = "ema_generator"
        status = tf.train.Checkpoint(**{key: nets.generator}, step=step).restore(checkpoint)
        status.assert_existing_objects_matched().expect_partial()  # D and optimisers are not needed
    except checkpoints.RESTORE_ERRORS as e:
        raise TfganError(
            f"cannot read checkpoint {checkpoint}: {str(e).splitlines()[0]}\nIt is missing, damaged or from "
            f"another model; pass --checkpoint= an intact one (see {os.path.dirname(checkpoint)})."
        ) from e
    return _write_export(run, params, nets, nets.generator, int(step.numpy()), staging, checkpoint=checkpoint)
