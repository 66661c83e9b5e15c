"""`train(config)`: one training run of any family, from data to export.

A run lives in ``config.run.model_dir``::

    config.json             the resolved config: family, run settings, family parameters
    checkpoints/            the full state the family names (weights, optimisers, step, every RNG)
    logs/                   TensorBoard events (metrics, the family's pictures or sounds)
    samples.png ...         the family's final artefacts
    export/<name>/<v>/      SavedModel versions (see `tfgan.run.exports`)

Running the same config again resumes from the latest checkpoint. This
module knows nothing of images, G or D: it asks the family
(`tfgan.run.family.Family.setup`) for what to train, checkpoint, summarise
and export.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile

import tensorflow as tf

from tfgan import config as config_lib
from tfgan import distribute, precision
from tfgan.errors import ConfigError, TfganError
from tfgan.eventfiles import repair_event_files
from tfgan.fileio import atomic_write
from tfgan.run import callbacks as cb
from tfgan.run import checkpoints, exports, preemption, recovery
from tfgan.run import lock as run_lock
from tfgan.run.family import SetupContext, Trainer

log = logging.getLogger(__name__)


@dataclasses.dataclass
class RunResult:
    """What a finished `train` call produced.

    Attributes:
      config: The resolved config (as written to config.json).
      step: Train steps completed.
      logs: The last step's metrics (empty if no step ran in this call).
      report: The family's one-line summary of `logs` ("" if none).
      artefacts: Name -> path of the final artefacts the family wrote
        (e.g. ``samples``); empty on a non-chief worker.
      export_dir: Path of the exported SavedModel version, or None.
    """

    config: config_lib.Config
    step: int
    logs: dict
    report: str
    artefacts: dict
    export_dir: str | None

    @property
    def samples_png(self) -> str | None:
        """The final sample grid, if the family writes one (None on a non-chief worker)."""
        return self.artefacts.get("samples")


def paths(model_dir: str) -> dict[str, str]:
    """Where a run keeps the artefacts the run machinery writes."""
    return {
        "config": os.path.join(model_dir, "config.json"),
        "checkpoints": os.path.join(model_dir, "checkpoints"),
        "logs": os.path.join(model_dir, "logs"),
        "export": os.path.join(model_dir, "export"),
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


def load_saved_config(model_dir: str) -> config_lib.Config | None:
    """The config.json of an existing run (its ``model_dir`` the one given), or None."""
    path = paths(model_dir)["config"]
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            config = config_lib.from_json(f.read())
    except (ValueError, TypeError) as e:  # ConfigError is a ValueError
        raise TfganError(f"{path} is not a valid tfgan config ({e}); use a new --model_dir.") from e
    # The directory it was read from is the run, wherever it was trained (it may have been moved or copied).
    return config.replace(model_dir=model_dir)


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


def resume_changes(config: config_lib.Config) -> dict[str, tuple]:
    """The changes of `config` from the run in its ``model_dir``: refused ones raise, accepted ones are returned.

    Refused: another family, the fields a checkpoint's variables depend on
    (the run's ``RUN_SHAPE_FIELDS``, the family's ``shape_fields``) and
    those that change what it means (`recovery.REFUSED_ON_RESUME`, the
    family's ``meaning_fields``). Returns field -> ``(old, new)`` of the
    rest ({} for a fresh run).

    Raises:
      ConfigError: Naming each refused change.
    """
    model_dir = config.run.model_dir
    saved = load_saved_config(model_dir)
    has_checkpoint = tf.train.latest_checkpoint(paths(model_dir)["checkpoints"]) is not None
    if saved is None or not has_checkpoint:
        return {}
    if saved.family.name != config.family.name:
        raise ConfigError(
            f"{model_dir} holds a {saved.family.name} run, not a {config.family.name} one; pass a new --model_dir."
        )
    return recovery.check_resume(
        saved.fields(),
        config.fields(),
        model_dir,
        refused=config.family.meaning_fields,
        shape_fields=(*config_lib.RUN_SHAPE_FIELDS, *config.family.shape_fields),
    )


def _restore(trainer: Trainer, manager: tf.train.CheckpointManager, model_dir: str) -> None:
    if not manager.latest_checkpoint:
        return
    try:
        checkpoints.restore(trainer.checkpoint, manager.latest_checkpoint, trainer.optional)
    except checkpoints.RESTORE_ERRORS as e:
        raise TfganError(
            f"cannot restore {manager.latest_checkpoint}: {str(e).splitlines()[0]}\n"
            f"The run in {model_dir} was made with another configuration; run with its original flags "
            f"(see its config.json), or use a new --model_dir."
        ) from e
    log.info("restored %s (step %d)", manager.latest_checkpoint, cb.current_step(trainer.model))
    if trainer.after_restore is not None:
        trainer.after_restore()


def build(config: config_lib.Config, strategy=None) -> tuple[config_lib.Config, Trainer, tf.train.CheckpointManager]:
    """Sets up the family's trainer for `config` and restores the run's latest checkpoint.

    Returns:
      ``(resolved config, trainer, checkpoint manager)``.

    Raises:
      TfganError: With a message that names the problem and the fix
        (incompatible or damaged checkpoint, bad data, bad settings).
    """
    strategy = strategy or tf.distribute.get_strategy()
    ckpt_dir = paths(config.run.model_dir)["checkpoints"]
    fresh = tf.train.latest_checkpoint(ckpt_dir) is None
    with strategy.scope():  # every worker restores the chief's latest checkpoint
        with precision.computing_in(config.run.mixed_dtype):
            trainer = config.family.setup(SetupContext(config.run, config.params, strategy, fresh))
        config = dataclasses.replace(config, params=trainer.params)
        resume_changes(config)  # refuses what does not fit the checkpoint
        checkpoint = tf.train.Checkpoint(**trainer.checkpoint)
        checkpoints.remove_unfinished(ckpt_dir)
        manager = tf.train.CheckpointManager(checkpoint, ckpt_dir, max_to_keep=config.run.keep_checkpoints)
        _restore(trainer, manager, config.run.model_dir)
    return config, trainer, manager


def train(config: config_lib.Config, *, verbose="auto", callbacks=()) -> RunResult:
    """Trains (or resumes) the run `config` describes, then exports it.

    The chief holds the run directory exclusively (`tfgan.run.lock`) for
    the whole call. SIGTERM or SIGINT during training saves a checkpoint at
    the current step and raises `tfgan.run.preemption.Preempted` (a
    `SystemExit` with status 143 / 130).

    Args:
      config: The run's configuration (`tfgan.config.resolve`).
      verbose: Keras progress bar mode.
      callbacks: Extra Keras callbacks.

    Returns:
      A `RunResult`.

    Raises:
      TfganError: With a message that names the problem and the fix;
        nothing is written into the run directory when the run is refused.
    """
    run = config.run
    # First: a multi-worker strategy must start before TensorFlow does other work.
    strategy = distribute.make_strategy(run.strategy, run.tpu)
    distribute.check_batch(run.batch_size, strategy)
    # Only the chief writes the run's files, so it alone holds the directory.
    if not distribute.is_chief(strategy):
        return _train(config, strategy, False, verbose, callbacks)
    with run_lock.RunLock(run.model_dir):
        return _train(config, strategy, True, verbose, callbacks)


def _checkpoint_space(manager: tf.train.CheckpointManager, trainer: Trainer):
    # The last checkpoint's size, or (none yet) the model's variables with Adam's two slots each.
    return lambda: (
        recovery.checkpoint_bytes(manager.latest_checkpoint) or 3 * recovery.variables_bytes(trainer.model.variables)
    )


def _save(manager: tf.train.CheckpointManager, trainer: Trainer, step: int) -> None:
    """Saves the full state at `step`; a full disk is one DiskFullError and no partial files."""
    cleanup = lambda: recovery.remove_unindexed(manager.directory)  # noqa: E731
    with recovery.disk_full_guard(
        manager.directory, f"checkpoint of step {step}", _checkpoint_space(manager, trainer), cleanup
    ):
        manager.save(checkpoint_number=step)


def _train(config: config_lib.Config, strategy, chief: bool, verbose, callbacks) -> RunResult:
    run = config.run
    # Other workers write to a scratch directory that is deleted at the end
    # (they must still save: see below).
    scratch = None if chief else tempfile.mkdtemp(prefix="tfgan-worker-")
    if chief:
        # The index names the newest intact checkpoint (damaged ones are set aside).
        recovery.prepare_checkpoints(paths(run.model_dir)["checkpoints"])
    if run.deterministic:
        # Process-wide: reductions and kernels pick deterministic algorithms.
        tf.config.experimental.enable_op_determinism()
    # Everything that can refuse the run (data, settings, the resume) is checked
    # here, before anything is written.
    config, trainer, manager = build(config, strategy)
    changes = resume_changes(config)
    model, where = trainer.model, paths(run.model_dir)
    start = cb.current_step(model)
    if chief:
        atomic_write(where["config"], config.to_json())
        recovery.record_changes(run.model_dir, start, changes)
        repaired = repair_event_files(where["logs"])
        if repaired:
            log.warning("truncated the unfinished last record of %s (a killed run's log)", ", ".join(repaired))
    else:
        # Saving may take part in the strategy's collectives, so every worker
        # saves; a non-chief's copies go to its scratch directory.
        manager = tf.train.CheckpointManager(manager.checkpoint, os.path.join(scratch, "checkpoints"), 1)

    total = run.steps or run.epochs * trainer.steps_per_epoch
    writer = cb.TensorBoardWriter(
        where["logs"] if chief else os.path.join(scratch, "logs"),
        trainer.summarize,
        log_every=run.log_every,
        sample_every=run.sample_every,
        layout=trainer.layout,
        constants=trainer.constants,
        tags=trainer.tags,
    )
    checkpointer = cb.Checkpointer(manager, run.checkpoint_every, before_save=writer.flush)

    def save_now() -> str:
        checkpointer.save()
        return manager.latest_checkpoint

    signals = preemption.SignalFlag()
    # Under multi_worker every worker must stop (and save) at the same step.
    agree = preemption.any_worker(strategy) if run.strategy == "multi_worker" else None
    stopper = preemption.PreemptionCallback(signals, save_now, lambda: cb.current_step(model), agree)
    # The family's progress line: Keras adds no bar of its own beside it.
    progress = [cb.ProgressBar(trainer.progress)] if trainer.progress is not None else []
    all_callbacks = [
        cb.NanGuard(run.on_nan, run.max_nan_skips, manager),  # first: before a checkpoint of that step
        writer,  # logs the step before it is checkpointed
        *trainer.callbacks(writer.writer),
        checkpointer,
        stopper,  # after the step was checked, logged and (maybe) checkpointed
        *callbacks,
        *progress,
    ]
    logs = {}
    if start >= total:
        log.info("%s is already trained to step %d of %d; nothing to train.", run.model_dir, start, total)
    else:
        if start:
            log.info("resuming %s at step %d of %d", run.model_dir, start, total)
        space = _checkpoint_space(manager, trainer)
        cleanup = lambda: recovery.remove_unindexed(manager.directory)  # noqa: E731
        try:
            with signals, recovery.disk_full_guard(manager.directory, "checkpoints", space, cleanup):
                for initial_epoch, epochs, n in fit_plan(start, total, trainer.steps_per_epoch):
                    history = model.fit(
                        trainer.dataset(cb.current_step(model)),
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
            writer.flush()  # a stopped run keeps its curves
        if logs:
            log.info("step %d: %s", cb.current_step(model), trainer.report(logs))
    step = cb.current_step(model)
    if not manager.latest_checkpoint or not manager.latest_checkpoint.endswith(f"-{step}"):
        _save(manager, trainer, step)
    export_dir, artefacts = None, {}
    if chief:
        artefacts = trainer.finish(run.model_dir)
        if run.export:
            export_dir = _export_if_new(config, trainer, manager.latest_checkpoint, step)
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return RunResult(config, step, logs, trainer.report(logs) if logs else "", artefacts, export_dir)


def export_digest(config: config_lib.Config, checkpoint: str) -> str:
    """What an export of `checkpoint` under `config` is made from (`recovery.checkpoint_digest`).

    The family's ``export_fields`` (all its parameters if None) decide,
    with the checkpoint's tensors, what is exported.
    """
    params = dataclasses.asdict(config.params)
    names = config.family.export_fields or tuple(params)
    facts = {"family": config.family.name, "preset": config.run.preset, **{n: params[n] for n in names}}
    return recovery.checkpoint_digest(checkpoint, facts)


def export_base(config: config_lib.Config, model_dir: str | None = None) -> str:
    """Where a run's export versions go: ``<model_dir>/export/<the family's export name>``."""
    return os.path.join(paths(model_dir or config.run.model_dir)["export"], config.family.export_name)


def _export_if_new(config: config_lib.Config, trainer: Trainer, checkpoint: str, step: int) -> str:
    """Exports unless an export was already made from this very checkpoint (its digest, not its step)."""
    base = export_base(config)
    digest = export_digest(config, checkpoint)
    found = recovery.find_export(base, digest, exports.METADATA_FILE)
    if found:
        log.info("export %s already holds step %d of this run (made from %s)", found, step, checkpoint)
        return found

    def write(staging):
        return {**trainer.export(staging), "checkpoint": os.path.basename(checkpoint), "checkpoint_digest": digest}

    path = exports.publish(base, write, family=config.family.name)
    log.info("exported to %s", path)
    return path


def export_from_run_dir(model_dir: str, *, checkpoint: str | None = None, export_base_dir: str | None = None) -> str:
    """Exports a run directory's checkpoint as a new version.

    Args:
      model_dir: A training run (with config.json and checkpoints/).
      checkpoint: A checkpoint prefix (e.g. ``.../checkpoints/ckpt-500``);
        default: the latest.
      export_base_dir: Where versions go; default
        ``<model_dir>/export/<the family's export name>``.

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
    config = config.replace(model_dir=model_dir)
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
    base = export_base_dir or export_base(config, model_dir)

    def write(staging):
        metadata = config.family.export_checkpoint(config.run, config.params, checkpoint, staging)
        return {**metadata, "checkpoint_digest": export_digest(config, checkpoint)}

    return exports.publish(base, write, family=config.family.name)
