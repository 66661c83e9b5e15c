"""Setting up a StyleGAN2 run for the run machinery: data, networks, model, checkpoint contents, summaries, export.

``--init_from`` (`initialise_from`) starts a fresh run from another
StyleGAN2 run's latest checkpoint or from an export: fine-tuning domain A's
model on domain B, with ``--freeze_d_layers`` (FreezeD) keeping D's first
blocks as A trained them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os

import keras
import numpy as np
import tensorflow as tf

import pipelines
from pipelines import domains
from tfgan import distribute, ema
from tfgan.errors import ConfigError, TfganError
from tfgan.families.stylegan import discriminator, export, networks, summaries, synthesis
from tfgan.families.stylegan.model import StyleGAN2, lazy_adam, lazy_correction
from tfgan.families.stylegan.params import SHAPE_FIELDS, StyleGANParams
from tfgan.images import write_png
from tfgan.run import checkpoints, exports
from tfgan.run.callbacks import current_step
from tfgan.run.config import RunConfig
from tfgan.run.family import SetupContext, Trainer

EXPORT_NAME = export.EXPORT_NAME
SAMPLE_GRID = 64
# What the networks' weights depend on: a run can start from another's
# weights only when these agree (freeze_d_layers only changes which are trained).
NETWORK_FIELDS = tuple(f for f in SHAPE_FIELDS if f != "freeze_d_layers")
log = logging.getLogger(__name__)


@dataclasses.dataclass
class Networks:
    """The three networks of a StyleGAN2 run."""

    mapping: keras.Model
    synthesis: keras.Model
    discriminator: keras.Model


def open_data(params: StyleGANParams) -> tuple[StyleGANParams, pipelines.ImageSource]:
    """Opens the training images at `image_size`; returns the params with the data's channels filled in."""
    source = domains.open_domain(
        params.dataset,
        data_dir=params.data_dir,
        split=params.split,
        image_size=params.image_size,
        channels=params.channels,
        role="--dataset",
    )
    return dataclasses.replace(params, channels=source.info.image_shape[2]), source


def build_generator(params: StyleGANParams) -> tuple[keras.Model, keras.Model]:
    """The resolved params' ``(mapping, synthesis)`` networks (freshly initialised)."""
    mapping = networks.mapping_network(
        params.latent_dim, params.w_dim, params.mapping_layers, lr_multiplier=params.mapping_lr_mult
    )
    synthesis_net = synthesis.synthesis_network(
        params.image_size,
        params.channels,
        w_dim=params.w_dim,
        channel_base=params.channel_base,
        channel_max=params.channel_max,
    )
    return mapping, synthesis_net


def build_networks(params: StyleGANParams) -> Networks:
    """The resolved params' mapping, synthesis and discriminator networks."""
    mapping, synthesis_net = build_generator(params)
    return Networks(
        mapping=mapping,
        synthesis=synthesis_net,
        discriminator=discriminator.discriminator_network(
            params.image_size, params.channels, channel_base=params.channel_base, channel_max=params.channel_max
        ),
    )


def learning_rates(params: StyleGANParams) -> dict:
    """Each player's Adam settings: `lazy_adam`'s correction for the players that are lazily regularised."""
    d_interval = params.r1_interval if params.r1_gamma else None
    g_interval = params.pl_interval if params.pl_weight else None
    return {
        "d": (params.lr, params.beta_1, params.beta_2, d_interval),
        "g": (params.lr, params.beta_1, params.beta_2, g_interval),
    }


def make_optimizers(params: StyleGANParams):
    """``(d_optimizer, g_optimizer)``."""
    rates = learning_rates(params)
    return lazy_adam(*rates["d"]), lazy_adam(*rates["g"])


def build_model(params: StyleGANParams, seed: int, nets: Networks | None = None) -> StyleGAN2:
    """The compiled-ready `StyleGAN2` of resolved params (FreezeD applied: call before building the optimisers)."""
    nets = nets or build_networks(params)
    if params.freeze_d_layers:
        discriminator.freeze(nets.discriminator, params.image_size, params.freeze_d_layers)
    return StyleGAN2(
        nets.mapping,
        nets.synthesis,
        nets.discriminator,
        latent_dim=params.latent_dim,
        num_ws=synthesis.num_ws(params.image_size),
        style_mixing=params.style_mixing,
        r1_gamma=params.r1_gamma,
        r1_interval=params.r1_interval,
        pl_weight=params.pl_weight,
        pl_interval=params.pl_interval,
        ema_decay=params.ema_decay,
        diffaugment=params.diffaugment,
        seed=seed,
    )


def checkpoint_objects(model: StyleGAN2) -> dict:
    """Everything a resumed run needs to continue exactly: weights, optimisers, step, means, every RNG."""
    objects = dict(
        mapping=model.mapping,
        synthesis=model.synthesis,
        discriminator=model.discriminator,
        d_optimizer=model.d_optimizer,
        g_optimizer=model.g_optimizer,
        step=model.step,
        w_avg=model.w_avg,
        pl_mean=model.pl_mean,
        rng=model.seed_generator.state,
        pl_rng=model.pl_seed.state,
        # The synthesis layers' noise streams: without them a resumed run draws other noise.
        layer_rngs=checkpoints.layer_rng_states(model.mapping, model.synthesis, model.discriminator),
    )
    if model.augmenter is not None:
        objects["augment_rng"] = model.augmenter.seed_generator.state
    if model.ema_mapping is not None:
        objects.update(ema_mapping=model.ema_mapping, ema_synthesis=model.ema_synthesis)
    return objects


def fixed_latent(seed: int, latent_dim: int, n: int = SAMPLE_GRID) -> np.ndarray:
    """The run's fixed z of its sample grids: the same on every resume."""
    return export.latent(np.arange(n) + seed * 1_000_000, latent_dim).numpy()


def _mismatches(theirs: dict, params: StyleGANParams, fields) -> list[str]:
    mine = dataclasses.asdict(params)
    return [f"--{f}: {theirs.get(f)!r} there, {mine[f]!r} here" for f in fields if theirs.get(f) != mine[f]]


def _refuse_shapes(path: str, problems: list[str]) -> None:
    if problems:
        raise ConfigError(
            f"--init_from={path} has networks of another shape than this run's:\n  "
            + "\n  ".join(problems)
            + "\n  Give this run the same network settings, or start it without --init_from."
        )


def _from_run(model: StyleGAN2, params: StyleGANParams, path: str) -> str:
    with open(os.path.join(path, "config.json")) as f:
        saved = json.load(f)
    if saved.get("family") != "stylegan":
        raise ConfigError(f"--init_from={path} is a {saved.get('family', 'image')} run, not a StyleGAN2 one.")
    _refuse_shapes(path, _mismatches(saved, params, NETWORK_FIELDS))
    ckpt = tf.train.latest_checkpoint(os.path.join(path, "checkpoints"))
    if ckpt is None:
        raise ConfigError(f"--init_from={path} has no checkpoint yet; train it first or give another run.")
    objects = dict(mapping=model.mapping, synthesis=model.synthesis, discriminator=model.discriminator)
    objects.update(w_avg=model.w_avg, pl_mean=model.pl_mean)
    has_ema = checkpoints.checkpoint_has(ckpt, "ema_mapping")
    if model.ema_mapping is not None and has_ema:
        objects.update(ema_mapping=model.ema_mapping, ema_synthesis=model.ema_synthesis)
    try:
        tf.train.Checkpoint(**objects).restore(ckpt).assert_existing_objects_matched().expect_partial()
    except checkpoints.RESTORE_ERRORS as e:
        raise ConfigError(f"--init_from={path}: cannot read {ckpt}: {str(e).splitlines()[0]}") from e
    if model.ema_mapping is not None and not has_ema:
        _restart_ema(model)
    return ckpt


def _from_export(model: StyleGAN2, params: StyleGANParams, path: str) -> str:
    version = exports.latest_version(path)
    meta = exports.load_metadata(version)
    if meta.get("family") != "stylegan":
        raise ConfigError(f"--init_from={path} is a {meta['family']} export, not a StyleGAN2 one.")
    if params.freeze_d_layers:
        raise ConfigError(
            f"--init_from={path} is an export, which holds no discriminator, so --freeze_d_layers="
            f"{params.freeze_d_layers} would freeze untrained layers; start from the run directory instead, "
            "or drop --freeze_d_layers."
        )
    _refuse_shapes(path, _mismatches(meta, params, NETWORK_FIELDS))
    read_export(version, model.mapping, model.synthesis, model.w_avg, role=f"--init_from={path}")
    if model.ema_mapping is not None:
        _restart_ema(model)
    return version


def read_export(version: str, mapping, synthesis_net, w_avg, *, role: str) -> None:
    """Loads the export `version`'s mapping, synthesis and mean w into these networks and variable.

    Raises:
      ConfigError: The export's variables do not fit them (named with `role`).
    """
    objects = dict(mapping=mapping, synthesis=synthesis_net, w_avg=w_avg)
    try:
        # A SavedModel's variables are a checkpoint of its module (`export.ServableGenerator`),
        # whose children have these names; `read` expects no save counter, which it lacks.
        status = tf.train.Checkpoint(**objects).read(os.path.join(version, "variables", "variables"))
        status.assert_existing_objects_matched().expect_partial()
    except checkpoints.RESTORE_ERRORS as e:
        raise ConfigError(f"{role}: cannot read the export {version}: {str(e).splitlines()[0]}") from e


def _restart_ema(model: StyleGAN2) -> None:
    ema.restart(model.ema_mapping, model.mapping)
    ema.restart(model.ema_synthesis, model.synthesis)


def initialise_from(model: StyleGAN2, params: StyleGANParams) -> str:
    """Loads ``--init_from``'s weights into a fresh run's `model`; returns the checkpoint or export read.

    A run directory gives G (mapping, synthesis), D, their EMA copies and
    the running means (not the optimisers or the step: the run starts at
    step 0); an export gives G and the mean w, D keeps its initialisation.

    Raises:
      ConfigError: The path is missing or neither kind, from another
        family, of other network shapes (both named), or unreadable.
    """
    path = params.init_from
    if not os.path.exists(path):
        raise ConfigError(
            f"--init_from={path} does not exist; give a StyleGAN2 run directory (with config.json and "
            "checkpoints/) or an export of one (export/generator or a version inside it)."
        )
    if os.path.isfile(os.path.join(path, "config.json")):
        return _from_run(model, params, path)
    if export.is_export(path):
        return _from_export(model, params, path)
    raise ConfigError(
        f"--init_from={path} is neither a tfgan run directory (no config.json) nor an export (no saved_model.pb); "
        "give a StyleGAN2 run directory or its export/generator."
    )


def _check_supported(run: RunConfig, strategy, batch_size: int) -> None:
    if run.mixed_precision:
        raise ConfigError(
            "--mixed_precision is not supported by the StyleGAN2 family yet (its equalised layers are not checked "
            "under float16); drop the flag."
        )
    if distribute.is_distributed(strategy):
        raise ConfigError(
            f"the StyleGAN2 family trains on one device so far, not {strategy.num_replicas_in_sync} replicas; "
            "use --strategy=default (one GPU)."
        )
    group = min(discriminator.MBSTD_GROUP, batch_size)
    if batch_size % group:
        raise ConfigError(
            f"--batch_size={batch_size}: D's minibatch standard deviation takes groups of {group} images; "
            f"use a multiple of {group}, e.g. --batch_size={batch_size // group * group or group}."
        )


def export_metadata(run: RunConfig | None, params: StyleGANParams, step: int | None) -> dict:
    """The family's facts for metadata.json besides the generator's own (`run` None: not made by a run)."""
    return {
        "preset": run.preset if run is not None else None,
        "dataset": params.dataset,
        "step": step,
        "ema_decay": params.ema_decay,
        "mapping_layers": params.mapping_layers,
        # The mapping network's weights are stored divided by it: rebuilding it from an export needs it.
        "mapping_lr_mult": params.mapping_lr_mult,
        "channel_base": params.channel_base,
        "channel_max": params.channel_max,
        "init_from": params.init_from,
    }


def write_export(run, params, mapping, synthesis_net, w_avg, step, staging, **extra) -> dict:
    """Writes the generator of (`mapping`, `synthesis_net`, `w_avg`) into `staging`; returns its metadata."""
    return export.write_generator(
        mapping,
        synthesis_net,
        w_avg,
        staging,
        latent_dim=params.latent_dim,
        num_ws=synthesis.num_ws(params.image_size),
        layers=synthesis.layer_map(params.image_size),
        metadata={**export_metadata(run, params, step), **extra},
    )


def setup(ctx: SetupContext) -> Trainer:
    """Builds the StyleGAN2 run of `ctx` (inside the strategy's scope): see `tfgan.run.family.Trainer`.

    Raises:
      ConfigError: Unsupported settings (mixed precision, several
        replicas, a batch the minibatch-stddev groups do not divide) or a
        bad ``--init_from``.
      pipelines.PipelineError: The data cannot be read.
    """
    run, strategy = ctx.run, ctx.strategy
    _check_supported(run, strategy, run.batch_size)
    params, source = open_data(ctx.params)
    # Checked here, before the run machinery writes anything into the run directory.
    pipelines.check_batch_size(source.info, run.batch_size)
    keras.utils.set_random_seed(run.seed)
    model = build_model(params, run.seed)
    d_opt, g_opt = make_optimizers(params)
    model.compile(d_opt, g_opt, jit_compile=run.jit_compile, steps_per_execution=run.steps_per_execution)
    if ctx.fresh and params.init_from:
        log.info("initialised from %s", initialise_from(model, params))
    model.build_optimizers()
    spe = pipelines.steps_per_epoch(source.info, run.batch_size, 1)
    optional = {}
    if model.ema_mapping is not None:
        # --ema_decay only changes what is sampled and exported: it may be
        # switched on at a resume, the averages then starting from G.
        optional = {
            "ema_mapping": lambda: ema.restart(model.ema_mapping, model.mapping),
            "ema_synthesis": lambda: ema.restart(model.ema_synthesis, model.synthesis),
        }

    def after_restore():
        # The config's rates win over the checkpoint's, so a resumed run can change --lr.
        rates = learning_rates(params)
        for optimizer, (lr, _, _, interval) in ((d_opt, rates["d"]), (g_opt, rates["g"])):
            optimizer.learning_rate = lr * lazy_correction(interval)

    def dataset(start_step: int) -> tf.data.Dataset:
        return pipelines.make_train_dataset(
            source, run.batch_size, seed=run.seed, value_range=export.VALUE_RANGE, group=1, start_step=start_step
        )

    summarize = summaries.Summaries(model, fixed_latent(run.seed, params.latent_dim))

    def finish(model_dir: str) -> dict:
        path = os.path.join(model_dir, "samples.png")
        write_png(path, summarize.grid())
        return {"samples": path}

    def write(staging: str) -> dict:
        mapping, synthesis_net = model.sampling_networks
        return write_export(run, params, mapping, synthesis_net, model.w_avg, current_step(model), staging)

    return Trainer(
        model=model,
        params=params,
        steps_per_epoch=spe,
        checkpoint=checkpoint_objects(model),
        optional=optional,
        dataset=dataset,
        summarize=summarize,
        report=summaries.report,
        finish=finish,
        export=write,
        export_name=EXPORT_NAME,
        progress=summaries.PROGRESS,
        tags=dict(summaries.TAGS),
        after_restore=after_restore,
    )


def export_checkpoint(run: RunConfig, params: StyleGANParams, checkpoint: str, staging: str) -> dict:
    """Writes the generator of `checkpoint` into `staging` (no data needed); returns its metadata.

    `params` must be resolved (as config.json holds them). With
    --ema_decay the averaged networks are exported once a checkpoint holds them.

    Raises:
      TfganError: The checkpoint is missing, damaged or from another model.
    """
    mapping, synthesis_net, w_avg, step = restore_generator(params, checkpoint)
    return write_export(run, params, mapping, synthesis_net, w_avg, step, staging, checkpoint=checkpoint)


def restore_generator(params: StyleGANParams, checkpoint: str):
    """``(mapping, synthesis, w_avg, step)`` of a run's `checkpoint`: the EMA networks when it holds them.

    `params` must be resolved (as config.json holds them); with
    --ema_decay the averaged networks are read once a checkpoint holds them.

    Raises:
      TfganError: The checkpoint is missing, damaged or from another model.
    """
    if params.channels is None:
        raise ConfigError("reading a checkpoint needs the run's resolved params (config.json).")
    mapping, synthesis_net = build_generator(params)
    step = tf.Variable(0, dtype=tf.int64)
    w_avg = tf.Variable(tf.zeros([params.w_dim]))
    prefix = ""
    try:
        if params.ema_decay and checkpoints.checkpoint_has(checkpoint, "ema_mapping"):
            prefix = "ema_"
        objects = {f"{prefix}mapping": mapping, f"{prefix}synthesis": synthesis_net}
        status = tf.train.Checkpoint(**objects, w_avg=w_avg, step=step).restore(checkpoint)
        status.assert_existing_objects_matched().expect_partial()  # D and the optimisers are not needed
    except checkpoints.RESTORE_ERRORS as e:
        raise TfganError(
            f"cannot read checkpoint {checkpoint}: {str(e).splitlines()[0]}\nIt is missing, damaged or from "
            f"another model; pass --checkpoint= an intact one (see {os.path.dirname(checkpoint)})."
        ) from e
    return mapping, synthesis_net, w_avg, int(step.numpy())
