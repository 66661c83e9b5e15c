"""Keras callbacks of a training run, whatever the family: checkpoints, the NaN guard, TensorBoard.

They read only what every family's model has (`tfgan.steps.add_step_counters`:
``step``, ``nonfinite``, ``skipped_updates``, ``nonfinite_bits``) and call
the family's own summary function for pictures and sounds.
"""

from __future__ import annotations

import logging

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
      constants: Scalars written beside the metrics at every logged step
        (reference lines such as an equilibrium value).
    """

    def __init__(self, logdir, summarize, log_every=10, sample_every=0, layout=None, constants=None):
        super().__init__()
        self.writer = tf.summary.create_file_writer(logdir)
        self.summarize = summarize
        self.log_every, self.sample_every = log_every, sample_every
        self.layout, self.constants = layout, dict(constants or {})
        self.last_logs = {}
        self._written = {"scalars": None, "summaries": None}  # last step of each, never written twice

    def on_train_begin(self, logs=None):
        if self.layout is not None:
            with self.writer.as_default():
                tf.summary.experimental.write_raw_pb(cs_summary.pb(self.layout).SerializeToString(), step=0)

    def _scalars(self, step, logs):
        if self._written["scalars"] == step:
            return
        self._written["scalars"] = step
        with self.writer.as_default(step=step):
            for name, value in {**logs, **self.constants}.items():
                tf.summary.scalar(name, float(value))

    def _summaries(self, step):
        if self._written["summaries"] == step:
            return
        self._written["summaries"] = step
        with self.writer.as_default(step=step):
            self.summarize(step)
        self.writer.flush()

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
        self.writer.flush()
