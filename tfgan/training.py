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
from tfgan import distribute
from tfgan.errors import ConfigError, TfganError
from tfgan.eventfiles import repair_event_files
from tfgan.fileio import atomic_write
from tfgan.run import callbacks as cb
from tfgan.run import checkpoints, exports
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
    """The config.json of an existing run, or None."""
    path = paths(model_dir)["config"]
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return config_lib.from_json(f.read())
    except (ValueError, TypeError) as e:  # ConfigError is a ValueError
        raise TfganError(f"{path} is not a valid tfgan config ({e}); use a new --model_dir.") from e


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


def _check_against_run(config: config_lib.Config) -> None:
    """Refuses a config whose checkpoint in ``model_dir`` was made by an incompatible one."""
    model_dir = config.run.model_dir
    saved = load_saved_config(model_dir)
    has_checkpoint = tf.train.latest_checkpoint(paths(model_dir)["checkpoints"]) is not None
    if saved is not None and has_checkpoint:
        problems = config_lib.incompatibilities(saved, config)
        if problems:
            raise ConfigError(
                f"{model_dir} holds a run whose checkpoint does not fit this config:\n  "
                + "\n  ".join(problems)
                + "\nRun with the original flags to resume it, or pass a new --model_dir."
            )


def _restore(trainer: Trainer, manager: tf.train.CheckpointManager, model_dir: str) -> None:
    if not manager.latest_checkpoint:
        return
    try:
        checkpoints.restore(trainer.checkpoint, manager.latest_checkpoint, trainer.optional)
    except checkpoints.RESTORE_ERRORS as e:
        raise TfganError(
            f"cannot restore {manager.latest_checkpoint}: {str(e).splitlines()[0]}\n"
            f"The run in {model_dir} was made with another configuration or its checkpoint is "
            f"damaged; use a new --model_dir, or remove that checkpoint to fall back to an older one."
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
        trainer = config.family.setup(SetupContext(config.run, config.params, strategy, fresh))
        config = dataclasses.replace(config, params=trainer.params)
        _check_against_run(config)
        checkpoint = tf.train.Checkpoint(**trainer.checkpoint)
        checkpoints.remove_unfinished(ckpt_dir)
        manager = tf.train.CheckpointManager(checkpoint, ckpt_dir, max_to_keep=config.run.keep_checkpoints)
        _restore(trainer, manager, config.run.model_dir)
    return config, trainer, manager


def train(config: config_lib.Config, *, verbose="auto", callbacks=()) -> RunResult:
    """Trains (or resumes) the run `config` describes, then exports it.

    Args:
      config: The run's configuration (`tfgan.config.resolve`).
      verbose: Keras progress bar mode.
      callbacks: Extra Keras callbacks.

    Returns:
      A `RunResult`.

    Raises:
      TfganError: With a message that names the problem and the fix.
    """
    run = config.run
    # First: a multi-worker strategy must start before TensorFlow does other work.
    strategy = distribute.make_strategy(run.strategy, run.tpu)
    distribute.check_batch(run.batch_size, strategy)
    # Only the chief writes the run's files; other workers write to a scratch
    # directory that is deleted at the end (they must still save: see below).
    chief = distribute.is_chief(strategy)
    scratch = None if chief else tempfile.mkdtemp(prefix="tfgan-worker-")
    if chief:
        _check_writable(run.model_dir)
    if run.deterministic:
        # Process-wide: reductions and kernels pick deterministic algorithms.
        tf.config.experimental.enable_op_determinism()
    config, trainer, manager = build(config, strategy)
    model, where = trainer.model, paths(run.model_dir)
    if chief:
        atomic_write(where["config"], config.to_json())
        repaired = repair_event_files(where["logs"])
        if repaired:
            log.warning("truncated the unfinished last record of %s (a killed run's log)", ", ".join(repaired))
    else:
        # Saving may take part in the strategy's collectives, so every worker
        # saves; a non-chief's copies go to its scratch directory.
        manager = tf.train.CheckpointManager(manager.checkpoint, os.path.join(scratch, "checkpoints"), 1)

    total = run.steps or run.epochs * trainer.steps_per_epoch
    start = cb.current_step(model)
    writer = cb.TensorBoardWriter(
        where["logs"] if chief else os.path.join(scratch, "logs"),
        trainer.summarize,
        log_every=run.log_every,
        sample_every=run.sample_every,
        layout=trainer.layout,
        constants=trainer.constants,
    )
    all_callbacks = [
        cb.NanGuard(run.on_nan, run.max_nan_skips, manager),  # first: before a checkpoint of that step
        writer,  # logs the step before it is checkpointed
        *trainer.callbacks(writer.writer),
        cb.Checkpointer(manager, run.checkpoint_every, before_save=writer.writer.flush),
        *callbacks,
    ]
    logs = {}
    if start >= total:
        log.info("%s is already trained to step %d of %d; nothing to train.", run.model_dir, start, total)
    else:
        if start:
            log.info("resuming %s at step %d of %d", run.model_dir, start, total)
        try:
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
        finally:
            writer.writer.flush()  # a stopped run keeps its curves
        if logs:
            log.info("step %d: %s", cb.current_step(model), trainer.report(logs))
    step = cb.current_step(model)
    if not manager.latest_checkpoint or not manager.latest_checkpoint.endswith(f"-{step}"):
        manager.save(checkpoint_number=step)
    export_dir, artefacts = None, {}
    if chief:
        artefacts = trainer.finish(run.model_dir)
        if run.export:
            export_dir = _export_if_new(config, trainer, step)
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return RunResult(config, step, logs, trainer.report(logs) if logs else "", artefacts, export_dir)


def export_base(config: config_lib.Config, model_dir: str | None = None) -> str:
    """Where a run's export versions go: ``<model_dir>/export/<the family's export name>``."""
    return os.path.join(paths(model_dir or config.run.model_dir)["export"], config.family.export_name)


def _export_if_new(config: config_lib.Config, trainer: Trainer, step: int) -> str:
    """Exports unless the newest export already holds this step's model."""
    base = export_base(config)
    latest = exports.next_version(base) - 1
    if latest >= 1:
        try:
            meta = exports.load_metadata(os.path.join(base, str(latest)))
            if meta.get("step") == step:
                log.info("export %s/%d already holds step %d", base, latest, step)
                return os.path.join(base, str(latest))
        except (TfganError, OSError, ValueError):
            pass
    path = exports.publish(base, trainer.export, family=config.family.name)
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
    checkpoint = checkpoint or tf.train.latest_checkpoint(paths(model_dir)["checkpoints"])
    if checkpoint is None:
        raise TfganError(
            f"{model_dir} has no checkpoint to export; train it first (python -m tfgan.train --model_dir={model_dir})."
        )
    base = export_base_dir or export_base(config, model_dir)
    return exports.publish(
        base,
        lambda staging: config.family.export_checkpoint(config.run, config.params, checkpoint, staging),
        family=config.family.name,
    )
