"""Keras callbacks of a training run, whatever the family: checkpoints, the NaN guard, TensorBoard.

They read only what every family's model has (`tfgan.steps.add_step_counters`:
``step``, ``nonfinite``, ``skipped_updates``, ``nonfinite_bits``) and call
the family's own summary function for pictures and sounds.
"""

from __future__ import annotations

import logging
import os

import keras
import tensorflow as tf
from tensorboard.plugins.custom_scalar import summary as cs_summary

from tfgan.errors import TfganError

log = logging.getLogger(__name__)


def current_step(model) -> int:
    return int(keras.ops.convert_to_numpy(model.step))


class Checkpointer(keras.callbacks.Callback):
    """Saves the full training state every `every` steps and at the end.

    `tf.train.CheckpointManager` writes each checkpoint completely before it
    updates the ``checkpoint`` index file and prunes old ones, so a kill at
    any moment leaves the previous checkpoint usable.

    Args:
      manager: Where checkpoints go.
      every: Steps between checkpoints.
      before_save: Called before each save (the TensorBoard writer's flush,
        so the logs on disk reach at least as far as the checkpoint a
        killed run will resume from).
    """

    def __init__(self, manager: tf.train.CheckpointManager, every: int, before_save=None):
        super().__init__()
        self.manager, self.every, self.before_save = manager, every, before_save
        self._last = None

    def save(self):
        step = current_step(self.model)
        if step != self._last:
            if self.before_save:
                self.before_save()
            self.manager.save(checkpoint_number=step)
            self._last = step

    def on_train_batch_end(self, batch, logs=None):
        if current_step(self.model) % self.every == 0:
            self.save()

    def on_train_end(self, logs=None):
        self.save()


class NonFiniteError(TfganError):
    """Training stopped on a NaN or infinite loss or gradient."""


class NanGuard(keras.callbacks.Callback):
    """Stops training when a step's loss or gradients are not finite.

    A family's ``train_step`` never applies such an update (`tfgan.steps.apply_if_finite`) (the weights stay as they
    were) and flags what went wrong; this callback turns the flag into a
    stop, or, with ``mode="skip"``, into a warning until more than
    `max_skips` updates have been skipped in the run. Put it first among the
    callbacks so it acts before a checkpoint of that step is written.
    """

    def __init__(self, mode: str = "stop", max_skips: int = 0, manager=None):
        super().__init__()
        self.mode, self.max_skips, self.manager = mode, max_skips, manager

    def on_train_batch_end(self, batch, logs=None):
        flags = int(keras.ops.convert_to_numpy(self.model.nonfinite))
        if not flags:
            return
        what = ", ".join(name for bit, name in self.model.nonfinite_bits.items() if flags & bit)
        step = current_step(self.model)
        skipped = int(keras.ops.convert_to_numpy(self.model.skipped_updates))
        if self.mode == "skip" and skipped <= self.max_skips:
            log.warning(
                "step %d: %s not finite; update skipped (%d of at most %d)", step, what, skipped, self.max_skips
            )
            return
        self.model.stop_training = True
        latest = self.manager.latest_checkpoint if self.manager else None
        reason = "" if self.mode == "stop" else f" more than --max_nan_skips={self.max_skips} times"
        raise NonFiniteError(
            f"step {step}: {what} became NaN or infinite{reason}; training stopped and that update was not "
            f"applied. The last good checkpoint is {latest or 'none (nothing saved yet)'}. Lower --lr (or --d_lr), "
            f"check the data, or pass --on_nan=skip --max_nan_skips=N to step over rare bad batches."
        )


# The run (a subfolder of the log directory) that holds a family's reference
# lines: in TensorBoard they share the chart of the metric they belong to and
# get a colour of their own, instead of a flat-line chart each.
REFERENCE_RUN = "reference"


def written_scalars(logs: dict, tags: dict) -> dict:
    """The TensorBoard ``run -> {tag: value}`` of a step's metrics.

    Args:
      logs: Metric name -> value, as the model's ``train_step`` returns them.
      tags: Metric name -> the tag written (`tfgan.run.family.Trainer.tags`):
        a tag (in the main run, ``""``), or ``(run, tag)`` to write it into
        the log directory's subfolder `run`, so that metrics sharing a tag
        share one chart, one colour per run; None leaves a metric out of
        TensorBoard; a metric not named keeps its name.
    """
    out: dict[str, dict[str, float]] = {}
    for name, value in logs.items():
        tag = tags.get(name, name)
        if tag is None:
            continue
        run, tag = ("", tag) if isinstance(tag, str) else tag
        out.setdefault(run, {})[tag] = float(value)
    return out


def progress_items(logs: dict, progress) -> list[tuple[str, float]]:
    """``(label, value)`` pairs of the progress line (`tfgan.run.family.Trainer.progress`).

    An entry is a metric name, or ``(label, source)`` with `source` a metric
    name or ``logs -> float`` (a quantity derived from the step's metrics).
    Entries whose metric the step did not return are left out.
    """
    items = []
    for entry in progress:
        label, source = (entry, entry) if isinstance(entry, str) else entry
        if callable(source):
            try:
                items.append((label, float(source(logs))))
            except KeyError:
                continue
        elif source in logs:
            items.append((label, float(logs[source])))
    return items


class ProgressBar(keras.callbacks.ProgbarLogger):
    """Keras' progress bar showing only the family's chosen metrics (`tfgan.run.family.Trainer.progress`).

    Keras adds no progress bar of its own to a ``fit`` that has one; the
    other callbacks (History, TensorBoard) still get every metric.
    """

    def __init__(self, progress):
        super().__init__()
        self.progress = tuple(progress)

    def _update_progbar(self, batch, logs=None):
        super()._update_progbar(batch, dict(progress_items(logs or {}, self.progress)))

    def _finalize_progbar(self, logs):
        super()._finalize_progbar(dict(progress_items(logs or {}, self.progress)))


class TensorBoardWriter(keras.callbacks.Callback):
    """Writes every metric, and the family's summaries, to TensorBoard.

    Events are indexed by the model's own step counter, so a resumed run
    continues its curves instead of overwriting them.

    Args:
      logdir: Event file directory.
      summarize: ``step -> None``: the family's pictures or sounds, written
        into the default writer (`tfgan.run.family.Trainer.summarize`).
      log_every: Scalars every this many steps.
      sample_every: `summarize` every this many steps; 0 means each epoch.
      layout: A custom-scalars `layout_pb2.Layout` to write once, or None.
      constants: Reference lines (such as an equilibrium value), tag ->
        value, written into the run `REFERENCE_RUN` (``<logdir>/reference``)
        at the start and with every `summarize`: give one the tag of the
        metric it belongs to and TensorBoard draws both in that metric's
        chart. Few points, so that TensorBoard's "ignore outliers" scaling
        (a percentile range over all points of a chart) is the metric's,
        not the constant's.
      tags: Metric name -> tag or ``(run, tag)`` written (see
        `written_scalars`).
    """

    def __init__(self, logdir, summarize, log_every=10, sample_every=0, layout=None, constants=None, tags=None):
        super().__init__()
        self.writer = tf.summary.create_file_writer(logdir)
        self.summarize = summarize
        self.log_every, self.sample_every = log_every, sample_every
        self.layout, self.constants, self.tags = layout, dict(constants or {}), dict(tags or {})
        self.logdir = logdir
        self.writers = {"": self.writer}  # run -> its writer, the others made when first written
        self.last_logs = {}
        self._written = {"scalars": None, "summaries": None}  # last step of each, never written twice

    def on_train_begin(self, logs=None):
        if self.layout is not None:
            with self.writer.as_default():
                tf.summary.experimental.write_raw_pb(cs_summary.pb(self.layout).SerializeToString(), step=0)
        self._references(current_step(self.model))

    def _run_writer(self, run):
        if run not in self.writers:
            self.writers[run] = tf.summary.create_file_writer(os.path.join(self.logdir, run))
        return self.writers[run]

    def _references(self, step):
        if self.constants:
            with self._run_writer(REFERENCE_RUN).as_default(step=step):
                for tag, value in self.constants.items():
                    tf.summary.scalar(tag, float(value))

    def _scalars(self, step, logs):
        if self._written["scalars"] == step:
            return
        self._written["scalars"] = step
        for run, scalars in written_scalars(logs, self.tags).items():
            with self._run_writer(run).as_default(step=step):
                for tag, value in scalars.items():
                    tf.summary.scalar(tag, value)

    def flush(self):
        """Flushes the event files (every run's)."""
        for writer in self.writers.values():
            writer.flush()

    def _summaries(self, step):
        if self._written["summaries"] == step:
            return
        self._written["summaries"] = step
        with self.writer.as_default(step=step):
            self.summarize(step)
        self._references(step)
        self.flush()

    def on_train_batch_end(self, batch, logs=None):
        step = current_step(self.model)
        self.last_logs = {k: float(v) for k, v in (logs or {}).items()}
        if step % self.log_every == 0 and self.last_logs:
            self._scalars(step, self.last_logs)
        if self.sample_every and step % self.sample_every == 0:
            self._summaries(step)

    def on_epoch_end(self, epoch, logs=None):
        if not self.sample_every:
            self._summaries(current_step(self.model))

    def on_train_end(self, logs=None):
        step = current_step(self.model)
        if self.last_logs:
            self._scalars(step, self.last_logs)
        self._summaries(step)
        self.flush()
