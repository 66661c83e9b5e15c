"""Setting up a translation run for the run machinery: data, networks, model, checkpoint contents, summaries, export."""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from pipelines import domains as domains_lib
from tfgan import distribute, ema
from tfgan.errors import ConfigError, TfganError
from tfgan.families.translation import build, export, summaries
from tfgan.families.translation.params import TranslationParams
from tfgan.images import write_png
from tfgan.run import checkpoints
from tfgan.run.config import RunConfig
from tfgan.run.family import SetupContext, Trainer

EXPORT_NAME = export.EXPORT_NAME
# Fields a checkpoint's variables depend on: a resume with other values is refused.
SHAPE_FIELDS = (
    "model",
    "image_size",
    "channels",
    "generator_filters",
    "resnet_blocks",
    "unet_depth",
    "discriminator_filters",
    "discriminator_layers",
    "upsample",
    "pool_size",
    "class_conditional",
    "num_classes",
)


def total_steps(run: RunConfig, steps_per_epoch: int) -> int:
    """The run's length in steps (the learning rate reaches 0 there)."""
    return run.steps if run.steps is not None else run.epochs * steps_per_epoch


def checkpoint_objects(model) -> dict:
    """Everything a resumed run needs to continue exactly: weights, optimisers, step, pools, every RNG."""
    objects = dict(g_optimizer=model.g_optimizer, d_optimizer=model.d_optimizer, step=model.step)
    if hasattr(model, "g_ab"):
        objects.update(g_ab=model.g_ab, g_ba=model.g_ba, d_a=model.d_a, d_b=model.d_b)
        objects.update(pool_a=model.pool_a, pool_b=model.pool_b)  # images, fill count and RNG state
        if model.ema_g_ab is not None:
            objects.update(ema_g_ab=model.ema_g_ab, ema_g_ba=model.ema_g_ba)
        if model.noise_seed is not None:
            objects["cycle_noise_rng"] = model.noise_seed.state
        nets = (model.g_ab, model.g_ba, model.d_a, model.d_b)
    else:
        objects.update(generator=model.generator, discriminator=model.discriminator)
        if model.ema_generator is not None:
            objects["ema_generator"] = model.ema_generator
        nets = (model.generator, model.discriminator)
    rngs = checkpoints.layer_rng_states(*nets)  # pix2pix's dropout: a resumed run draws the same masks
    if rngs:
        objects["layer_rngs"] = rngs
    if model.augmenter is not None:
        objects["augment_rng"] = model.augmenter.seed_generator.state
    return objects


def networks_of(model) -> list:
    """The Keras networks a translation model's train step calls."""
    if hasattr(model, "g_ab"):
        return [model.g_ab, model.g_ba, model.d_a, model.d_b]
    return [model.generator, model.discriminator]


def distributed(dataset: tf.data.Dataset, strategy: tf.distribute.Strategy) -> tf.data.Dataset:
    """The stream laid out for `strategy`: under replicas the tuple ``(a, b[, label_a, label_b])`` (Keras'
    multi-worker ``fit`` cannot reduce a dict element when it probes the data), sharded by data."""
    if not distribute.is_distributed(strategy):
        return dataset
    # (a, b), then (label_a, label_b) when the stream has them: the order `model._pair` / `_labels` read.
    keys = [k for k in ("a", "b", "label_a", "label_b") if k in dataset.element_spec]
    return distribute.shard_by_data(dataset.map(lambda d: tuple(d[k] for k in keys)))


def translator_of(params: TranslationParams, g_ab, g_ba) -> export.Translator:
    """The servable filter of a resolved run's generators."""
    return export.keras_translator(
        g_ab,
        g_ba,
        image_size=params.image_size,
        channels=params.channels,
        multiple=build.network_multiple(params),
        min_size=build.network_min_size(params),
        serve_size=params.serve_size,
    )


def export_facts(run: RunConfig, params: TranslationParams, step: int) -> dict:
    """The translation family's facts for metadata.json (besides the translator's own)."""
    return {
        "family": "translation",
        "model": params.model,
        "preset": run.preset,
        "domains": {"a": params.domain_a, "b": params.domain_b},
        "step": step,
        "ema_decay": params.ema_decay,
    }


def _check_finite(translator: export.Translator, params: TranslationParams) -> None:
    probe = tf.cast(tf.linspace(0.0, 255.0, params.image_size**2 * params.channels), tf.uint8)
    probe = tf.reshape(probe, (1, params.image_size, params.image_size, params.channels))
    for direction in export.DIRECTIONS:
        fn = translator._functions[direction]
        if fn is not None and not bool(tf.reduce_all(tf.math.is_finite(fn(tf.cast(probe, tf.float32) / 127.5 - 1)))):
            raise TfganError(
                f"the {direction} generator produces NaN or infinite values; it is not exported. Resume from an "
                f"earlier checkpoint (--checkpoint=...) or lower --learning_rate."
            )


def write_export(run, params, g_ab, g_ba, step, staging) -> dict:
    """Writes the translator of `g_ab`/`g_ba` into `staging`; returns its metadata."""
    translator = translator_of(params, g_ab, g_ba)
    _check_finite(translator, params)
    return export.write_translator(staging, translator, facts=export_facts(run, params, step))


def setup(ctx: SetupContext) -> Trainer:
    """Builds the CycleGAN or pix2pix run of `ctx` (inside the strategy's scope); see `tfgan.run.family.Trainer`.

    Raises:
      ConfigError: The image size does not suit the generator, or the pool
        is smaller than the global batch.
      pipelines.PipelineError: A domain cannot be read.
    """
    run, strategy = ctx.run, ctx.strategy
    domains = build.open_data(ctx.params)
    params = build.resolve(ctx.params, domains)
    # Under replicas the pools take the global batch (one pool, as on one device: pool.py).
    if params.model == "cyclegan" and 0 < params.pool_size < run.batch_size:
        raise ConfigError(
            f"--pool_size={params.pool_size} is smaller than the (global) batch ({run.batch_size}); "
            f"raise --pool_size to at least {run.batch_size} or turn the pool off with --pool_size=0."
        )
    spe = domains_lib.domain_steps_per_epoch(domains, run.batch_size)
    model = build.build_model(
        params,
        total_steps=total_steps(run, spe),
        steps_per_epoch=spe,
        seed=run.seed,
        mixed_precision=run.mixed_precision,
        jit_compile=run.jit_compile,
        steps_per_execution=run.steps_per_execution,
    )
    distribute.prepare(
        networks_of(model), [model.g_optimizer, model.d_optimizer], strategy, sync_batchnorm=run.sync_batchnorm
    )
    fixed = summaries.fixed_images(domains)

    def dataset(start_step: int) -> tf.data.Dataset:
        ds = domains_lib.make_domain_dataset(
            domains,
            run.batch_size,
            seed=run.seed,
            start_step=start_step,
            augment=params.jitter,
            labels=params.class_conditional,
        )
        return distributed(ds, strategy)

    def summarize(step: int) -> None:
        g_ab, g_ba = model.generators
        summaries.write_pairs(step, fixed, g_ab, g_ba, target=fixed["b"])

    def finish(model_dir: str) -> dict:
        g_ab, g_ba = model.generators
        rows = [summaries.pair_rows(fixed["a"], g_ab, g_ba)]
        if g_ba is not None:
            rows.append(summaries.pair_rows(fixed["b"], g_ba, g_ab))
        path = os.path.join(model_dir, "pairs.png")
        write_png(path, _stack_rows(np.concatenate(rows)))
        return {"pairs": path}

    def report(logs: dict) -> str:
        names = ("g_loss", "d_loss", "cycle_a", "cycle_b") if params.model == "cyclegan" else ("g_loss", "d_loss", "l1")
        return " ".join(f"{n}={float(logs[n]):.4f}" for n in names if n in logs)

    # --ema_decay only changes what is exported, so a run may switch it on at a
    # resume: the averages then start from the generators.
    optional = {}
    if params.ema_decay and params.model == "cyclegan":
        optional["ema_g_ab"] = lambda: ema.restart(model.ema_g_ab, model.g_ab)
        optional["ema_g_ba"] = lambda: ema.restart(model.ema_g_ba, model.g_ba)
    elif params.ema_decay:
        optional["ema_generator"] = lambda: ema.restart(model.ema_generator, model.generator)
    return Trainer(
        model=model,
        params=params,
        steps_per_epoch=spe,
        checkpoint=checkpoint_objects(model),
        optional=optional,
        dataset=dataset,
        summarize=summarize,
        report=report,
        finish=finish,
        export=lambda staging: write_export(run, params, *model.generators, int(model.step), staging),
        export_name=EXPORT_NAME,
        progress=("g_loss", "d_loss", "cycle_a", "cycle_b")
        if params.model == "cyclegan"
        else ("g_loss", "d_loss", "l1"),
    )


def _stack_rows(rows: np.ndarray) -> np.ndarray:
    """uint8 [n, H, W', C] rows -> one picture, rows under each other, small images enlarged."""
    n, h, w, c = rows.shape
    scale = max(1, 32 // h)
    picture = rows.reshape(n * h, w, c)
    return picture.repeat(scale, axis=0).repeat(scale, axis=1)


def export_checkpoint(run: RunConfig, params: TranslationParams, checkpoint: str, staging: str) -> dict:
    """Writes the translator of `checkpoint` into `staging` (no data needed); returns its metadata.

    `params` must be resolved (as config.json holds them). With --ema_decay
    the averaged generators are exported.

    Raises:
      TfganError: The checkpoint is missing, damaged or from another model.
    """
    if params.image_size is None or params.channels is None:
        raise ConfigError("exporting a checkpoint needs the run's resolved params (config.json).")
    nets = build.build_networks(params)
    step = tf.Variable(0, dtype=tf.int64)
    if params.model == "cyclegan":
        names, g_ab, g_ba = ("g_ab", "g_ba"), nets["g_ab"], nets["g_ba"]
    else:
        names, g_ab, g_ba = ("generator",), nets["generator"], None
    try:
        # The averaged generators once a checkpoint holds them (EMA may be switched on at a resume).
        prefix = "ema_" if params.ema_decay and checkpoints.checkpoint_has(checkpoint, f"ema_{names[0]}") else ""
        objects = {f"{prefix}{name}": nets[name] for name in names}
        status = tf.train.Checkpoint(**objects, step=step).restore(checkpoint)
        status.assert_existing_objects_matched().expect_partial()
    except checkpoints.RESTORE_ERRORS as e:
        raise TfganError(
            f"cannot read checkpoint {checkpoint}: {str(e).splitlines()[0]}\nIt is missing, damaged or from "
            f"another model; pass --checkpoint= an intact one (see {os.path.dirname(checkpoint)})."
        ) from e
    return write_export(run, params, g_ab, g_ba, int(step.numpy()), staging)
