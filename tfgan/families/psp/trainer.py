"""Setting up a pSp encoder run for the run machinery: the frozen generator, data, model, checkpoint, summaries, export."""

from __future__ import annotations

import dataclasses
import os

import keras
import numpy as np
import tensorflow as tf

import pipelines
from pipelines import domains
from tfgan import distribute, lpips
from tfgan.errors import ConfigError, TfganError
from tfgan.families.psp import export, irse, networks
from tfgan.families.psp.model import PSP, adam
from tfgan.families.psp.params import PSPParams, active_losses
from tfgan.families.stylegan.export import VALUE_RANGE
from tfgan.families.stylegan.loading import Generator, load_generator
from tfgan.images import make_grid, to_uint8, write_png
from tfgan.run import checkpoints
from tfgan.run.callbacks import current_step
from tfgan.run.config import RunConfig
from tfgan.run.family import SetupContext, Trainer

EXPORT_NAME = export.EXPORT_NAME
FIXED_IMAGES = 8
TAGS = {
    "loss": "loss/total",
    "l2": "loss/l2",
    "w_norm": "loss/w_norm",
    "lpips": "loss/lpips",
    "id": "loss/id",
    "grad_norm": "gradients/encoder",
}
PROGRESS = ("l2", "w_norm", "lpips", "id")


def resolve(params: PSPParams, gen: Generator) -> PSPParams:
    """`params` with the generator's W+ layout and image shape filled in.

    Raises:
      ConfigError: A given value differs from the generator's (each named).
    """
    theirs = dict(image_size=gen.image_size, channels=gen.channels, num_ws=gen.num_ws, w_dim=gen.w_dim)
    wrong = [
        f"--{k}={getattr(params, k)}: the generator's is {v}"
        for k, v in theirs.items()
        if getattr(params, k) is not None and getattr(params, k) != v
    ]
    if wrong:
        raise ConfigError(
            f"--generator={params.generator} does not match:\n  " + "\n  ".join(wrong) + "\n  Leave these flags out "
            "(they are the generator's)."
        )
    return dataclasses.replace(params, **theirs)


def build_encoder(params: PSPParams) -> keras.Model:
    """The resolved params' encoder network."""
    return networks.encoder_network(
        params.image_size,
        params.channels,
        num_ws=params.num_ws,
        w_dim=params.w_dim,
        width=params.encoder_width,
        width_max=params.encoder_max,
        blocks=params.encoder_blocks,
        backbone=params.backbone,
    )


def perceptual_networks(params: PSPParams) -> dict:
    """The LPIPS and ArcFace networks the params name weights files of (keys ``lpips``, ``identity``; None if not).

    Raises:
      WeightsError: A file is missing, unreadable or of another network.
      ConfigError: The images are too small for the LPIPS network.
    """
    nets = {"lpips": None, "identity": None}
    if params.lpips_weights:
        nets["lpips"] = lpips.load_lpips(params.lpips_weights)
        nets["lpips"].check_size(params.image_size)
    if params.id_weights:
        nets["identity"] = irse.arcface_from_state(params.id_weights)
    return nets


def build_model(params: PSPParams, gen: Generator, lpips=None, identity=None) -> PSP:
    """The `PSP` of resolved params around the frozen generator `gen` (and `perceptual_networks`)."""
    return PSP(
        build_encoder(params),
        gen.synthesis,
        gen.w_avg,
        l2_weight=params.l2_weight,
        w_norm_weight=params.w_norm_weight,
        lpips=lpips,
        lpips_weight=params.lpips_weight,
        identity=identity,
        id_weight=params.id_weight,
    )


def checkpoint_objects(model: PSP) -> dict:
    """What a resumed run needs: the encoder, its optimiser, the step, and the generator it was trained against.

    The synthesis network and mean w are checkpointed too, so a resumed run
    (and its export) keeps the generator of its start even if the run named
    by --generator trained on since.
    """
    return dict(
        encoder=model.encoder,
        encoder_optimizer=model.encoder_optimizer,
        step=model.step,
        synthesis=model.synthesis,
        w_avg=model.w_avg,
    )


def fixed_images(source, n: int = FIXED_IMAGES) -> np.ndarray:
    """`n` evenly spaced images of the source (its own order), float32 in [-1, 1]: the summaries' inputs."""
    stride = max(1, source.info.num_examples // n)
    ds = source.examples().enumerate().filter(lambda i, _: i % stride == 0).map(lambda _, e: e["image"]).take(n)
    batch = next(iter(ds.batch(n).as_numpy_iterator()))
    return batch.astype(np.float32) / 127.5 - 1.0


def pairs(model: PSP, images) -> np.ndarray:
    """uint8 [n, S, 2 S, C]: each input | its reconstruction."""
    x = tf.convert_to_tensor(images, tf.float32)
    return to_uint8(tf.concat([x, model.reconstruct(x)], axis=2), VALUE_RANGE).numpy()


def report(logs: dict) -> str:
    """The run's closing line."""
    extra = "".join(f" {name}={logs[name]:.4f}" for name in ("lpips", "id") if name in logs)
    return f"l2={logs['l2']:.4f} w_norm={logs['w_norm']:.3f}{extra} loss={logs['loss']:.4f}"


def export_facts(run: RunConfig, params: PSPParams, gen_facts: dict, step: int) -> dict:
    return {
        "preset": run.preset,
        "dataset": params.dataset,
        "step": step,
        "generator": gen_facts,
        "l2_weight": params.l2_weight,
        "w_norm_weight": params.w_norm_weight,
        "losses": {name: {"weight": w, "weights_file": f} for name, (w, f) in active_losses(params).items()},
    }


def _check_supported(run: RunConfig, strategy) -> None:
    if run.mixed_precision:
        raise ConfigError("--mixed_precision is not supported by the pSp family yet; drop the flag.")
    if distribute.is_distributed(strategy):
        raise ConfigError(
            f"the pSp family trains on one device so far, not {strategy.num_replicas_in_sync} replicas; "
            "use --strategy=default."
        )


def setup(ctx: SetupContext) -> Trainer:
    """Builds the pSp run of `ctx`: see `tfgan.run.family.Trainer`.

    Raises:
      ConfigError: A bad --generator, settings that contradict it, or
        unsupported run settings.
      pipelines.PipelineError: The data cannot be read.
    """
    run = ctx.run
    _check_supported(run, ctx.strategy)
    gen = load_generator(ctx.params.generator)
    params = resolve(ctx.params, gen)
    source = domains.open_domain(
        params.dataset,
        data_dir=params.data_dir,
        split=params.split,
        image_size=params.image_size,
        channels=params.channels,
        role="--dataset",
    )
    pipelines.check_batch_size(source.info, run.batch_size)
    nets = perceptual_networks(params)
    keras.utils.set_random_seed(run.seed)
    model = build_model(params, gen, **nets)
    if params.backbone_weights:  # a resumed run's checkpoint then overwrites them
        irse.load_backbone(model.encoder, params.backbone_weights)
    model.compile(
        adam(params.lr, params.beta_1, params.beta_2),
        jit_compile=run.jit_compile,
        steps_per_execution=run.steps_per_execution,
    )
    model.build_optimizers()
    fixed = fixed_images(source)

    def dataset(start_step: int) -> tf.data.Dataset:
        return pipelines.make_train_dataset(
            source, run.batch_size, seed=run.seed, value_range=VALUE_RANGE, group=1, start_step=start_step
        )

    def summarize(step: int) -> None:
        rows = pairs(model, fixed)
        tf.summary.image("input|reconstruction", rows, step=step, max_outputs=len(rows))

    def finish(model_dir: str) -> dict:
        path = os.path.join(model_dir, "reconstructions.png")
        write_png(path, make_grid(pairs(model, fixed), rows=len(fixed)))
        return {"reconstructions": path}

    def after_restore():
        model.encoder_optimizer.learning_rate = params.lr  # the config's rate wins at a resume

    def write(staging: str) -> dict:
        facts = export_facts(run, params, gen.facts(), current_step(model))
        return export.write_encoder(staging, model.encoder, model.synthesis, model.w_avg, params=params, facts=facts)

    return Trainer(
        model=model,
        params=params,
        steps_per_epoch=pipelines.steps_per_epoch(source.info, run.batch_size, 1),
        checkpoint=checkpoint_objects(model),
        dataset=dataset,
        summarize=summarize,
        report=report,
        finish=finish,
        export=write,
        export_name=EXPORT_NAME,
        progress=PROGRESS,
        tags=dict(TAGS),
        after_restore=after_restore,
    )


def export_checkpoint(run: RunConfig, params: PSPParams, checkpoint: str, staging: str) -> dict:
    """Writes the encoder of `checkpoint` into `staging` (no data needed); returns its metadata.

    The generator's networks are built from --generator (its shape) and
    then read from the checkpoint (the weights the encoder was trained
    against).

    Raises:
      TfganError: The checkpoint is missing, damaged or from another model,
        or --generator is gone.
    """
    if params.num_ws is None:
        raise ConfigError("exporting a checkpoint needs the run's resolved params (config.json).")
    gen = load_generator(params.generator)
    encoder = build_encoder(params)
    step = tf.Variable(0, dtype=tf.int64)
    w_avg = tf.Variable(gen.w_avg)
    try:
        status = tf.train.Checkpoint(encoder=encoder, synthesis=gen.synthesis, w_avg=w_avg, step=step).restore(
            checkpoint
        )
        status.assert_existing_objects_matched().expect_partial()  # the optimiser is not needed
    except checkpoints.RESTORE_ERRORS as e:
        raise TfganError(
            f"cannot read checkpoint {checkpoint}: {str(e).splitlines()[0]}\nIt is missing, damaged or from "
            f"another model; pass --checkpoint= an intact one (see {os.path.dirname(checkpoint)})."
        ) from e
    facts = {**export_facts(run, params, gen.facts(), int(step.numpy())), "checkpoint": checkpoint}
    return export.write_encoder(staging, encoder, gen.synthesis, w_avg, params=params, facts=facts)
