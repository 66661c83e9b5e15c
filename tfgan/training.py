"""`train(config)`: one training run, from data to exported generator.

A run lives in ``config.model_dir``::

    config.json             the resolved config (image size/channels from the data)
    checkpoints/            full state: G, D, both optimisers, step, noise RNG
    logs/                   TensorBoard events (scalars, sample grids, layout)
    samples.png             a grid of G's samples from the fixed z
    export/generator/<v>/   the SavedModel (see `tfgan.exporting`)

Running the same config again resumes from the latest checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

import pipelines
from tfgan import callbacks as cb
from tfgan import config as config_lib
from tfgan import distribute, ema, guards, networks, precision
from tfgan import exporting as export_lib
from tfgan.errors import ConfigError, TfganError
from tfgan.eventfiles import repair_event_files
from tfgan.fileio import atomic_write
from tfgan.gan import GAN
from tfgan.images import write_png
from tfgan.optimizers import paper_sgd
from tfgan.run import lock as run_lock
from tfgan.run import preemption, recovery

SAMPLE_GRID = 64
# Fixed z per class row of a conditional run's sample grid.
CONDITIONAL_COLUMNS = 8
# What restoring a damaged or mismatched checkpoint raises (a truncated data
# file surfaces as IndexError from the reader).
_RESTORE_ERRORS = (tf.errors.OpError, ValueError, AssertionError, IndexError, OSError)
log = logging.getLogger(__name__)


@dataclasses.dataclass
class RunResult:
    """What a finished `train` call produced.

    Attributes:
      config: The resolved config (as written to config.json).
      step: Train steps completed.
      logs: The last step's metrics (empty if no step ran in this call).
      samples_png: Path of the final sample grid (None on a non-chief worker).
      export_dir: Path of the exported SavedModel version, or None.
    """

    config: config_lib.TrainConfig
    step: int
    logs: dict
    samples_png: str
    export_dir: str | None


@dataclasses.dataclass
class Run:
    """A built (and, if a checkpoint exists, restored) training state."""

    config: config_lib.TrainConfig
    nets: networks.Networks
    gan: GAN
    manager: tf.train.CheckpointManager
    steps_per_epoch: int


def paths(model_dir: str) -> dict[str, str]:
    """Where a run keeps each of its artefacts."""
    return {
        "config": os.path.join(model_dir, "config.json"),
        "checkpoints": os.path.join(model_dir, "checkpoints"),
        "logs": os.path.join(model_dir, "logs"),
        "samples": os.path.join(model_dir, "samples.png"),
        "export": os.path.join(model_dir, "export", "generator"),
    }


def _check_writable(model_dir: str) -> None:
    try:
        os.makedirs(model_dir, exist_ok=True)
        atomic_write(os.path.join(model_dir, ".write_test"), "")
        os.remove(os.path.join(model_dir, ".write_test"))
    except OSError as e:
        raise TfganError(
            f"--model_dir={model_dir} is not writable ({e.strerror or e}); choose a directory you can write to."
        ) from e


def load_saved_config(model_dir: str) -> config_lib.TrainConfig | None:
    """The config.json of an existing run, or None."""
    path = paths(model_dir)["config"]
    if not os.path.exists(path):
        return None
    data = recovery.read_json_object(path)
    try:
        return config_lib.TrainConfig.from_json(json.dumps(data))
    except (ValueError, TypeError, ConfigError) as e:
        raise TfganError(f"{path} is not a valid tfgan config ({e}); use a new --model_dir.") from e


def make_optimizers(config: config_lib.TrainConfig, steps_per_epoch: int):
    """``(d_optimizer, g_optimizer)`` for the config."""
    d_lr = config.d_lr or config.lr
    if config.optimizer == "paper_sgd":
        ramp = config.momentum_ramp_epochs * steps_per_epoch
        return paper_sgd(d_lr, ramp_steps=ramp * config.d_steps), paper_sgd(config.lr, ramp_steps=ramp)
    return (
        keras.optimizers.Adam(d_lr, beta_1=config.beta_1, beta_2=config.beta_2),
        keras.optimizers.Adam(config.lr, beta_1=config.beta_1, beta_2=config.beta_2),
    )


def fixed_latent(config: config_lib.TrainConfig, noise: str, n: int = SAMPLE_GRID) -> np.ndarray:
    """The run's fixed z for sample grids: the same on every resume."""
    return export_lib.stateless_latent(np.arange(n) + config.seed * 1_000_000, config.latent_dim, noise).numpy()


def model_classes(config: config_lib.TrainConfig) -> int | None:
    """The number of classes of the run's networks; None when unconditional."""
    return config.num_classes if config.conditional else None


def network_options(config: config_lib.TrainConfig) -> dict:
    """Model keyword arguments beyond the shape: only those switched on."""
    return {"spectral_norm": True} if config.spectral_norm else {}


def fixed_inputs(config: config_lib.TrainConfig, noise: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(z, labels)`` of the run's sample grids.

    Unconditional: `SAMPLE_GRID` fixed z and no labels. Conditional: one row
    per class, each row the same `CONDITIONAL_COLUMNS` fixed z, so a column
    shows one z across the classes.
    """
    if not config.conditional:
        return fixed_latent(config, noise), None
    z = fixed_latent(config, noise, CONDITIONAL_COLUMNS)
    labels = np.repeat(np.arange(config.num_classes, dtype=np.int32), CONDITIONAL_COLUMNS)
    return np.tile(z, (config.num_classes, 1)), labels


def build_run(config: config_lib.TrainConfig, source: pipelines.ImageSource) -> Run:
    """Builds networks, GAN and optimisers for `source`; restores the latest checkpoint.

    Raises:
      ConfigError: The model cannot make images of the data's shape, or the
        run's checkpoint was made with an incompatible config.
      TfganError: The checkpoint cannot be read.
    """
    keras.utils.set_random_seed(config.seed)
    checkpoints = paths(config.model_dir)["checkpoints"]
    pixel_mean = None
    if config.model in networks.USES_PIXEL_MEAN and not tf.train.latest_checkpoint(checkpoints):
        pixel_mean = pipelines.mean_image(source)  # a fresh run's initial output bias
    try:
        nets = networks.build(
            config.model,
            config.latent_dim,
            source.info.image_shape,
            pixel_mean=pixel_mean,
            num_classes=model_classes(config),
            **network_options(config),
        )
    except ValueError as e:
        raise ConfigError(f"--model={config.model}: {e}") from e
    if config.mixed_precision:
        precision.use_mixed_precision(nets.generator)
        precision.use_mixed_precision(nets.discriminator)
    gan = GAN(
        nets.generator,
        nets.discriminator,
        latent_dim=config.latent_dim,
        noise=nets.noise,
        d_steps=config.d_steps,
        seed=config.seed,
        num_classes=model_classes(config),
    )
    spe = pipelines.steps_per_epoch(source.info, config.batch_size, config.d_steps)
    d_opt, g_opt = make_optimizers(config, spe)
    if config.mixed_precision:
        d_opt, g_opt = precision.loss_scaled(d_opt), precision.loss_scaled(g_opt)
    gan.compile(
        d_optimizer=d_opt,
        g_optimizer=g_opt,
        loss=config.loss,
        jit_compile=config.jit_compile,
        steps_per_execution=config.steps_per_execution,
        families=family_options(config),
    )
    gan.build_optimizers()
    objects = dict(
        generator=gan.generator,
        discriminator=gan.discriminator,
        d_optimizer=d_opt,
        g_optimizer=g_opt,
        step=gan.step,
        rng=gan.seed_generator.state,
        # Dropout's RNG states: without them a resumed run draws other masks.
        layer_rngs=layer_rng_states(gan),
        **family_checkpoint_objects(gan),
    )
    checkpoint = tf.train.Checkpoint(**objects)
    _remove_unfinished_checkpoints(checkpoints)
    manager = tf.train.CheckpointManager(checkpoint, checkpoints, max_to_keep=config.keep_checkpoints)
    if manager.latest_checkpoint:
        try:
            _restore_latest(objects, manager.latest_checkpoint, gan)
        except _RESTORE_ERRORS as e:
            raise TfganError(
                f"cannot restore {manager.latest_checkpoint}: {str(e).splitlines()[0]}\n"
                f"The run in {config.model_dir} was made with another configuration; run with its original "
                f"flags (see its config.json), or use a new --model_dir."
            ) from e
        log.info("restored %s (step %d)", manager.latest_checkpoint, cb.current_step(gan))
        # A checkpoint also holds each optimiser's learning-rate variable; the
        # config's rates win, so a resumed run can change --lr/--d_lr.
        _set_learning_rate(d_opt, config.d_lr or config.lr)
        _set_learning_rate(g_opt, config.lr)
    return Run(config, nets, gan, manager, spe)


def checkpoint_has(checkpoint: str, name: str) -> bool:
    """Whether the checkpoint `checkpoint` (a prefix) holds the object `name`."""
    return any(key.startswith(name + "/") for key, _ in tf.train.list_variables(checkpoint))


def _restore_latest(objects: dict, path: str, gan: GAN) -> None:
    """Restores the checkpoint `path` into `objects`, tolerating an EMA switched on or off.

    ``--ema_decay`` only changes what is exported, not how G and D train, so
    a run may switch it at a resume. Switched on, the average starts from G's
    restored weights; switched off, the checkpoint's average is dropped.
    """
    has_ema = checkpoint_has(path, "ema_generator")
    keeps_ema = gan.ema_generator is not None
    restored = objects if has_ema or not keeps_ema else {k: v for k, v in objects.items() if k != "ema_generator"}
    status = tf.train.Checkpoint(**restored).restore(path).assert_existing_objects_matched()
    if has_ema and not keeps_ema:
        status.expect_partial()
        log.info("--ema_decay=0: this run no longer keeps the average of G's weights in %s", path)
    elif keeps_ema and not has_ema:
        ema.restart(gan.ema_generator, gan.generator)
        log.info("--ema_decay=%g: the average of G's weights starts from G at this resume", gan.ema_decay)


def family_options(config: config_lib.TrainConfig) -> dict:
    """The `GAN.compile` ``families`` options (penalties, DiffAugment, EMA) of a config."""
    return dict(
        gp_weight=config.gp_weight,
        r1_gamma=config.r1_gamma,
        r1_interval=config.r1_interval,
        diffaugment=config.diffaugment,
        ema_decay=config.ema_decay,
        augment_seed=config.seed + 1,
    )


def family_checkpoint_objects(gan: GAN) -> dict:
    """What the families add to the checkpoint, so a resumed run continues exactly.

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


def _set_learning_rate(optimizer, value: float) -> None:
    inner = precision.unscaled(optimizer)
    if not isinstance(inner._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        inner.learning_rate = value


def _remove_unfinished_checkpoints(directory: str) -> None:
    """Deletes ``ckpt-N_temp`` folders: writes a killed process never finished.

    TensorFlow writes a checkpoint into such a folder and only then moves it
    into place and names it in the ``checkpoint`` index, so the index never
    points at one of them; they are garbage.
    """
    if not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if name.endswith("_temp") and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
            log.warning("removed %s, left by a checkpoint write that never finished", path)


def layer_rng_states(gan: GAN) -> list:
    """The RNG state variables of G's and D's layers (e.g. Dropout), in a fixed order."""
    return [v for net in (gan.generator, gan.discriminator) for v in net.variables if "seed_generator_state" in v.path]


def fit_plan(start: int, total: int, steps_per_epoch: int) -> list[tuple[int, int, int]]:
    """``(initial_epoch, epochs, steps_per_epoch)`` fit calls taking `start` to `total` steps.

    A resumed run can begin mid-epoch and a step budget can end mid-epoch;
    those partial epochs get fit calls of their own so that every call's
    epochs line up with the data's.
    """
    plan, s, spe = [], start, steps_per_epoch
    if s < total and s % spe:
        n = min(spe - s % spe, total - s)
        plan.append((s // spe, s // spe + 1, n))
        s += n
    full = (total - s) // spe
    if full:
        plan.append((s // spe, s // spe + full, spe))
        s += full * spe
    if s < total:
        plan.append((s // spe, s // spe + 1, total - s))
    return plan


def _resolve_classes(config, info) -> int:
    """The class count of a conditional run: the data's, or a larger --num_classes."""
    if not info.num_classes:
        raise ConfigError(
            f"--conditional needs class labels, and --dataset={config.dataset} has none (a folder without class "
            f"subfolders, or an npz without y). Use labelled data (digits, tfds:mnist, folder:<path> with one "
            f"subfolder per class, npz with y) or drop --conditional."
        )
    if config.num_classes is not None and config.num_classes < info.num_classes:
        raise ConfigError(
            f"--num_classes={config.num_classes} is less than the {info.num_classes} classes of "
            f"--dataset={config.dataset}; drop --num_classes to use the dataset's own."
        )
    return config.num_classes or info.num_classes


def _resolve_against_run(config, source):
    h, _, c = source.info.image_shape
    config = dataclasses.replace(config, image_size=h, channels=c)
    if config.conditional:
        config = dataclasses.replace(config, num_classes=_resolve_classes(config, source.info))
    saved = load_saved_config(config.model_dir)
    has_checkpoint = tf.train.latest_checkpoint(paths(config.model_dir)["checkpoints"]) is not None
    changes = {}
    if saved is not None and has_checkpoint:
        # Refused: the shape fields and those that change what the checkpoint means; the rest is recorded.
        changes = recovery.check_resume(
            dataclasses.asdict(saved),
            dataclasses.asdict(config),
            config.model_dir,
            refused=config_lib.MEANING_FIELDS,
            shape_fields=config_lib.SHAPE_FIELDS,
        )
    return config, changes


# What decides an export besides the checkpoint's tensors (which generator, its shape, the metadata):
# an export is reused only when made from the same checkpoint digest over these.
EXPORT_FACTS = ("model", "latent_dim", "image_size", "channels", "conditional", "num_classes", "spectral_norm")
EXPORT_FACTS += ("ema_decay", "loss", "dataset", "preset")


def export_digest(config: config_lib.TrainConfig, checkpoint: str) -> str:
    """What an export of `checkpoint` under `config` is made from (`recovery.checkpoint_digest`)."""
    return recovery.checkpoint_digest(checkpoint, {name: getattr(config, name) for name in EXPORT_FACTS})


def _export(config, nets, step: int, export_base: str | None = None, generator=None, **extra) -> str:
    metadata = {
        "model": config.model,
        "preset": config.preset,
        "loss": config.loss,
        "dataset": config.dataset,
        "step": step,
        "value_range": list(nets.output_range),
        "ema_decay": config.ema_decay,
        **extra,
    }
    generator = generator or nets.generator
    export_base = export_base or paths(config.model_dir)["export"]
    recovery.remove_stale_staging(export_base)
    # The SavedModel holds G's variables plus a graph of well under a megabyte.
    needed = recovery.variables_bytes(generator.variables) + 2**20
    with recovery.disk_full_guard(export_base, "export of the generator", needed):
        return export_lib.export_generator(
            generator,
            export_base,
            latent_dim=config.latent_dim,
            noise=nets.noise,
            value_range=nets.output_range,
            metadata=metadata,
            num_classes=model_classes(config),
        )


def train(config: config_lib.TrainConfig, *, verbose="auto", callbacks=()) -> RunResult:
    """Trains (or resumes) the run `config` describes, then exports G.

    The chief holds the run directory exclusively (`tfgan.run.lock`) for
    the whole call. SIGTERM or SIGINT during training saves a checkpoint
    at the current step and raises `tfgan.run.preemption.Preempted` (a
    `SystemExit` with status 143 / 130).

    Args:
      config: The run's configuration.
      verbose: Keras progress bar mode.
      callbacks: Extra Keras callbacks.

    Returns:
      A `RunResult`.

    Raises:
      ConfigError, TfganError, pipelines.PipelineError: With a message that
        names the problem and the fix; nothing is written into the run
        directory when the run is refused.
    """
    # First: a multi-worker strategy must start before TensorFlow does other work.
    strategy = distribute.make_strategy(config.strategy, config.tpu)
    distribute.check_batch(config.batch_size, strategy)
    if config.conditional and distribute.is_distributed(strategy):
        # The distributed input carries images only (see distribute.prepare_dataset).
        raise ConfigError(
            f"--conditional is not supported with {strategy.num_replicas_in_sync} replicas yet; "
            "train conditional models with --strategy=default (or a single-device strategy)."
        )
    # Only the chief writes the run's files, so it alone holds the directory.
    if not distribute.is_chief(strategy):
        return _train(config, strategy, False, verbose, callbacks)
    with run_lock.RunLock(config.model_dir):
        return _train(config, strategy, True, verbose, callbacks)


def _save(run: Run, step: int) -> None:
    """Saves the full state at `step`; a full disk is one DiskFullError and no partial files."""
    directory = run.manager.directory
    with recovery.disk_full_guard(directory, f"checkpoint of step {step}", _checkpoint_space(run), _cleanup(run)):
        run.manager.save(checkpoint_number=step)


def _checkpoint_space(run: Run):
    # The last checkpoint's size, or (none yet) the weights with Adam's two slots each.
    return lambda: (
        recovery.checkpoint_bytes(run.manager.latest_checkpoint)
        or 3 * recovery.variables_bytes(run.gan.generator.variables + run.gan.discriminator.variables)
    )


def _cleanup(run: Run):
    return lambda: recovery.remove_unindexed(run.manager.directory)


def _train(config, strategy, chief: bool, verbose, callbacks) -> RunResult:
    # Other workers write to a scratch directory that is deleted at the end
    # (they must still save: see below).
    scratch = None if chief else tempfile.mkdtemp(prefix="tfgan-worker-")
    source = pipelines.open_source(
        config.dataset,
        data_dir=config.data_dir,
        split=config.split,
        image_size=config.image_size,
        channels=config.channels,
        max_image_pixels=config.max_image_pixels,
    )
    # Everything that can refuse the run is checked before anything is written.
    pipelines.check_batch_size(source.info, config.batch_size)
    if chief:
        # The index names the newest intact checkpoint (damaged ones are set aside).
        recovery.prepare_checkpoints(paths(config.model_dir)["checkpoints"])
    config, changes = _resolve_against_run(config, source)
    if config.conditional:
        source.check_labels(config.num_classes)
    if config.deterministic:
        # Process-wide: reductions and kernels pick deterministic algorithms.
        tf.config.experimental.enable_op_determinism()
    with strategy.scope():  # every worker restores the chief's latest checkpoint
        run = build_run(config, source)
        distribute.prepare_gan(run.gan, strategy, sync_batchnorm=config.sync_batchnorm)
    guards.warn_batchnorm_batch(run.nets.generator, config.batch_size // strategy.num_replicas_in_sync)
    gan, where = run.gan, paths(config.model_dir)
    start = cb.current_step(gan)
    if chief:
        atomic_write(where["config"], config.to_json())
        recovery.record_changes(config.model_dir, start, changes)
        repaired = repair_event_files(where["logs"])
        if repaired:
            log.warning("truncated the unfinished last record of %s (a killed run's log)", ", ".join(repaired))
    else:
        # Saving may take part in the strategy's collectives, so every worker
        # saves; a non-chief's copies go to its scratch directory.
        manager = tf.train.CheckpointManager(run.manager.checkpoint, os.path.join(scratch, "checkpoints"), 1)
        run = dataclasses.replace(run, manager=manager)

    total = config.steps or config.epochs * run.steps_per_epoch
    fixed_z, fixed_labels = fixed_inputs(config, run.nets.noise)
    writer = cb.TensorBoardWriter(
        where["logs"] if chief else os.path.join(scratch, "logs"),
        fixed_z,
        run.nets.output_range,
        log_every=config.log_every,
        sample_every=config.sample_every,
        fixed_labels=fixed_labels,
    )
    checkpointer = cb.Checkpointer(run.manager, config.checkpoint_every, before_save=writer.writer.flush)

    def save_now() -> str:
        checkpointer.save()
        return run.manager.latest_checkpoint

    signals = preemption.SignalFlag()
    # Under multi_worker every worker must stop (and save) at the same step.
    agree = preemption.any_worker(strategy) if config.strategy == "multi_worker" else None
    stopper = preemption.PreemptionCallback(signals, save_now, lambda: cb.current_step(gan), agree)
    all_callbacks = [
        cb.NanGuard(config.on_nan, config.max_nan_skips, run.manager),  # first: before a checkpoint of that step
        writer,  # logs the step before it is checkpointed
        checkpointer,
        stopper,  # after the step was checked, logged and (maybe) checkpointed
        *callbacks,
    ]
    if config.eval_every:
        from tfgan.evaluation import parzen_monitor

        all_callbacks.insert(2, parzen_monitor(config, source, run.nets.output_range, writer.writer))
    logs = {}
    if start >= total:
        log.info("%s is already trained to step %d of %d; nothing to train.", config.model_dir, start, total)
    else:
        if start:
            log.info("resuming %s at step %d of %d", config.model_dir, start, total)
        checkpoints = run.manager.directory
        try:
            with signals, recovery.disk_full_guard(checkpoints, "checkpoints", _checkpoint_space(run), _cleanup(run)):
                for initial_epoch, epochs, n in fit_plan(start, total, run.steps_per_epoch):
                    ds = pipelines.make_train_dataset(
                        source,
                        config.batch_size,
                        seed=config.seed,
                        value_range=run.nets.output_range,
                        group=config.d_steps,
                        start_step=cb.current_step(gan),
                    )
                    ds = distribute.prepare_dataset(ds, strategy)
                    history = gan.fit(
                        ds,
                        initial_epoch=initial_epoch,
                        epochs=epochs,
                        steps_per_epoch=n,
                        callbacks=all_callbacks,
                        verbose=verbose,
                        shuffle=False,
                    )
                    logs = {k: float(v[-1]) for k, v in history.history.items() if v}
                stopper.check()  # a signal after the last batch: still save and exit as asked
        finally:
            writer.writer.flush()  # a stopped run keeps its curves
        if logs:
            log.info("step %d: %s", cb.current_step(gan), cb.equilibrium_report(logs))
    step = cb.current_step(gan)
    if not run.manager.latest_checkpoint or not run.manager.latest_checkpoint.endswith(f"-{step}"):
        _save(run, step)
    export_dir = None
    if chief:
        write_png(
            where["samples"], cb.sample_grid(gan.sampling_generator, fixed_z, run.nets.output_range, fixed_labels)
        )
        if config.export:
            export_dir = _export_if_new(run, step)
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return RunResult(config, step, logs, where["samples"] if chief else None, export_dir)


def _export_if_new(run: Run, step: int) -> str:
    """Exports unless an export was already made from this very checkpoint (its digest, not its step)."""
    base = paths(run.config.model_dir)["export"]
    checkpoint = run.manager.latest_checkpoint
    digest = export_digest(run.config, checkpoint)
    found = recovery.find_export(base, digest)
    if found:
        log.info("export %s already holds step %d of this run (made from %s)", found, step, checkpoint)
        return found
    path = _export(
        run.config,
        run.nets,
        step,
        generator=run.gan.sampling_generator,
        checkpoint=os.path.basename(checkpoint),
        checkpoint_digest=digest,
    )
    log.info("exported the generator to %s", path)
    return path


def export_from_run_dir(model_dir: str, *, checkpoint: str | None = None, export_base: str | None = None) -> str:
    """Exports the generator of a run directory's checkpoint as a new version.

    Args:
      model_dir: A training run (with config.json and checkpoints/).
      checkpoint: A checkpoint prefix (e.g. ``.../checkpoints/ckpt-500``);
        default: the latest.
      export_base: Where versions go; default ``<model_dir>/export/generator``.

    Returns:
      The new version directory.

    Raises:
      TfganError: No run, no checkpoint, or an unreadable one; nothing is
        written then.
    """
    config = load_saved_config(model_dir)
    if config is None:
        raise TfganError(
            f"{model_dir} has no config.json: it is not a tfgan run. Train one with python -m tfgan.train."
        )
    # The directory given is the run, wherever config.json says it was trained (it may have been moved).
    config = dataclasses.replace(config, model_dir=model_dir)
    if checkpoint is None:
        # Read-only: a trainer may be running in this directory.
        checkpoint, skipped = recovery.newest_intact(paths(model_dir)["checkpoints"])
        for path, problem in skipped:
            log.warning("skipped the damaged checkpoint %s (%s)", path, problem)
        if checkpoint is None and skipped:
            raise TfganError(
                f"cannot read checkpoint {skipped[0][0]}: {skipped[0][1]}; no intact checkpoint is left in "
                f"{paths(model_dir)['checkpoints']} to export."
            )
    if checkpoint is None:
        raise TfganError(
            f"{model_dir} has no checkpoint to export; train it first (python -m tfgan.train --model_dir={model_dir})."
        )
    shape = (config.image_size, config.image_size, config.channels)
    nets = networks.build(
        config.model, config.latent_dim, shape, num_classes=model_classes(config), **network_options(config)
    )
    step = tf.Variable(0, dtype=tf.int64)
    try:
        # With --ema_decay the export is the averaged generator, once a
        # checkpoint holds one (the EMA may have been switched on at a resume).
        key = "ema_generator" if config.ema_decay > 0 and checkpoint_has(checkpoint, "ema_generator") else "generator"
        status = tf.train.Checkpoint(**{key: nets.generator}, step=step).restore(checkpoint)
        status.assert_existing_objects_matched().expect_partial()  # D and optimisers are not needed
    except _RESTORE_ERRORS as e:
        raise TfganError(
            f"cannot read checkpoint {checkpoint}: {str(e).splitlines()[0]}\nIt is missing, damaged or from "
            f"another model; pass --checkpoint= an intact one (see {paths(model_dir)['checkpoints']})."
        ) from e
    digest = export_digest(config, checkpoint)
    return _export(config, nets, int(step.numpy()), export_base, checkpoint=checkpoint, checkpoint_digest=digest)
