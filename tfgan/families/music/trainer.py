"""Setting up a MuseGAN run for the run machinery: data, networks, model, checkpoint contents, summaries, export."""

from __future__ import annotations

import dataclasses
import os

import keras
import numpy as np
import tensorflow as tf

from pipelines import pianoroll
from tfgan import distribute, ema, precision
from tfgan.errors import TfganError
from tfgan.families.music import audio, export, midi, networks, summaries
from tfgan.families.music.model import MuseGAN, binarize, make_optimizers
from tfgan.families.music.params import MusicParams
from tfgan.images import write_png
from tfgan.run import checkpoints
from tfgan.run.config import RunConfig
from tfgan.run.family import SetupContext, Trainer

# The export's folder under <model_dir>/export/.
EXPORT_NAME = "musegan"


def open_data(params: MusicParams) -> pianoroll.PianorollSource:
    """The training phrases of `params` (see `pipelines.pianoroll`)."""
    return pianoroll.open_pianoroll_source(params.data, params.grid(), cache_dir=params.cache_dir)


def build_generator(params: MusicParams, mixed_precision: bool = False):
    g = networks.build_generator(params)
    return networks.use_mixed_precision(g) if mixed_precision else g


def fixed_inputs(seed: int, params: MusicParams, source=None) -> dict:
    """The run's fixed generator inputs for summaries and the final samples: the same on every resume."""
    n = params.num_samples
    inputs = export.stateless_latents(np.arange(n) + seed * 1_000_000, networks.latent_shapes(params))
    if params.condition_tracks:
        real = source.rolls[np.arange(n) * max(1, len(source.rolls) // n) % len(source.rolls)]
        low, high = params.value_range
        given = real[..., list(params.condition_indices)].astype(np.float32)
        inputs["condition"] = tf.constant(given * (high - low) + low)
    return inputs


def distributed(ds: tf.data.Dataset, strategy) -> tf.data.Dataset:
    """The stream laid out for several replicas: the rolls alone, [B, k, ...], so the batch axis is split."""
    if not distribute.is_distributed(strategy):
        return ds
    ds = ds.map(lambda d: tf.experimental.numpy.swapaxes(d["pianoroll"], 0, 1), num_parallel_calls=tf.data.AUTOTUNE)
    return distribute.shard_by_data(ds)


def export_metadata(run: RunConfig, params: MusicParams, step: int) -> dict:
    return {"preset": run.preset, "step": step, "ema_decay": params.ema_decay}


class Samples:
    """The fixed-noise phrases of a run: TensorBoard pictures and sounds, and the final files."""

    def __init__(self, model: MuseGAN, inputs: dict, params: MusicParams):
        self.model, self.inputs, self.params = model, inputs, params

    def rolls(self) -> np.ndarray:
        raw = self.model.sampling_generator(self.inputs, training=False)
        # Summaries threshold: Bernoulli noise would hide what the weights do from one picture to the next.
        return binarize(raw, dataclasses.replace(self.params, binarize="threshold")).numpy()

    def __call__(self, step: int) -> None:
        summaries.write_pianoroll_summaries(step, self.rolls(), self.params)


def _midi_info(params: MusicParams) -> dict:
    return {
        k: v
        for k, v in export.metadata(params).items()
        if k in ("steps_per_bar", "lowest_pitch", "programs", "track_names", "drums", "tempo", "velocity")
    }


def setup(ctx: SetupContext) -> Trainer:
    """Builds the MuseGAN of `ctx` (inside the strategy's scope): see `tfgan.run.family.Trainer`.

    Raises:
      pipelines.PipelineError: The data cannot be read.
    """
    run, params, strategy = ctx.run, ctx.params, ctx.strategy
    source = open_data(params)
    keras.utils.set_random_seed(run.seed)
    generator = build_generator(params, run.mixed_precision)
    discriminator = networks.build_discriminator(params)
    if run.mixed_precision:
        networks.use_mixed_precision(discriminator)
    model = MuseGAN(params, seed=run.seed, generator=generator, discriminator=discriminator)
    d_opt, g_opt = make_optimizers(params)
    if run.mixed_precision:
        d_opt, g_opt = precision.loss_scaled(d_opt), precision.loss_scaled(g_opt)
    model.compile(d_opt, g_opt, jit_compile=run.jit_compile, steps_per_execution=run.steps_per_execution)
    model.build_optimizers()
    distribute.prepare([generator, discriminator], [d_opt, g_opt], strategy, sync_batchnorm=run.sync_batchnorm)
    checkpoint = dict(
        generator=model.generator,
        discriminator=model.discriminator,
        d_optimizer=d_opt,
        g_optimizer=g_opt,
        step=model.step,
        rng=model.seed_generator.state,
        penalty_rng=model.penalty_seed.state,
    )
    optional = {}
    if model.ema_generator is not None:
        # --ema_decay only changes what is sampled and exported: it may be switched on at a resume.
        checkpoint["ema_generator"] = model.ema_generator
        optional["ema_generator"] = lambda: ema.restart(model.ema_generator, model.generator)

    def dataset(start_step: int) -> tf.data.Dataset:
        ds = pianoroll.make_pianoroll_dataset(
            source,
            run.batch_size,
            seed=run.seed,
            group=params.d_steps,
            start_step=start_step,
            value_range=params.value_range,
            transpose_semitones=params.transpose,
        )
        return distributed(ds, strategy)

    samples = Samples(model, fixed_inputs(run.seed, params, source), params)

    def finish(model_dir: str) -> dict:
        rolls = samples.rolls()
        path = os.path.join(model_dir, "samples.png")
        write_png(path, summaries.pianoroll_image(rolls))
        midi_dir = os.path.join(model_dir, "samples_midi")
        paths = midi.write_midi_files(midi_dir, rolls, **_midi_info(params))
        written = {"samples": path, "samples_midi": midi_dir}
        if audio.fluidsynth_available():
            audio.render_wav(paths[0], os.path.join(model_dir, "sample_000.wav"))
            written["sample_wav"] = os.path.join(model_dir, "sample_000.wav")
        return written

    def report(logs: dict) -> str:
        return f"critic: mean D(x)={logs['critic_real']:.3f} mean D(G(z))={logs['critic_fake']:.3f}" + (
            f" gp={logs['gp']:.3f}" if "gp" in logs else ""
        )

    def write_export(staging: str) -> dict:
        return {
            **export.save(staging, model.sampling_generator, params),
            **export_metadata(run, params, int(model.step)),
        }

    return Trainer(
        model=model,
        params=params,
        steps_per_epoch=pianoroll.steps_per_epoch(source.info, run.batch_size, params.d_steps),
        checkpoint=checkpoint,
        optional=optional,
        dataset=dataset,
        summarize=samples,
        report=report,
        finish=finish,
        export=write_export,
        export_name=EXPORT_NAME,
        progress=("d_loss", "g_loss", "gp"),
    )


def export_checkpoint(run: RunConfig, params: MusicParams, checkpoint: str, staging: str) -> dict:
    """Writes the generator of `checkpoint` into `staging` (no data needed); returns its metadata.

    Raises:
      TfganError: The checkpoint is missing, damaged or from another model.
    """
    generator = networks.build_generator(params)
    step = tf.Variable(0, dtype=tf.int64)
    key = "ema_generator" if params.ema_decay else "generator"
    try:
        if key == "ema_generator" and not checkpoints.checkpoint_has(checkpoint, key):
            key = "generator"  # the EMA was switched on after this checkpoint
        status = tf.train.Checkpoint(**{key: generator}, step=step).restore(checkpoint)
        status.assert_existing_objects_matched().expect_partial()
    except checkpoints.RESTORE_ERRORS as e:
        raise TfganError(
            f"cannot read checkpoint {checkpoint}: {str(e).splitlines()[0]}\nIt is missing, damaged or from "
            f"another model; pass --checkpoint= an intact one (see {os.path.dirname(checkpoint)})."
        ) from e
    return {
        **export.save(staging, generator, params),
        **export_metadata(run, params, int(step.numpy())),
        "checkpoint": checkpoint,
    }
