"""Keras callbacks of a training run: checkpoints and TensorBoard."""

from __future__ import annotations

import logging
import math

import keras
import numpy as np
import tensorflow as tf

from tfgan.conditioning import with_labels
from tfgan.errors import TfganError
from tfgan.images import make_grid, to_uint8

log = logging.getLogger(__name__)

LOG_4 = math.log(4.0)


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

    `GAN.train_step` never applies such an update (the weights stay as they
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
        from tfgan.gan import NONFINITE_BITS

        what = ", ".join(name for bit, name in NONFINITE_BITS.items() if flags & bit)
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


def equilibrium_report(logs) -> str:
    """One line comparing D's outputs and V with the paper's equilibrium."""
    return (
        f"D(x)={logs['d_real']:.3f} D(G(z))={logs['d_fake']:.3f} (equilibrium: both 0.5); "
        f"V(D,G)={logs['value']:.3f} (equilibrium: -log 4 = {-LOG_4:.3f})"
    )


def _write_layout(writer):
    """A TensorBoard custom-scalars page: D(x), D(G(z)) and V beside their equilibria."""
    try:
        from tensorboard.plugins.custom_scalar import layout_pb2
        from tensorboard.plugins.custom_scalar import summary as cs_summary
    except ImportError:  # TensorBoard not installed: the scalars are still written
        return
    chart = layout_pb2.Chart
    multiline = layout_pb2.MultilineChartContent
    layout = layout_pb2.Layout(
        category=[
            layout_pb2.Category(
                title="equilibrium (Goodfellow et al. 2014: D(x) = D(G(z)) = 1/2, V = -log 4)",
                chart=[
                    chart(title="D(x), D(G(z)) vs 1/2", multiline=multiline(tag=[r"^d_(real|fake)$", r"^eq/half$"])),
                    chart(title="V(D,G) vs -log 4", multiline=multiline(tag=[r"^value$", r"^eq/minus_log_4$"])),
                    chart(title="losses", multiline=multiline(tag=[r"^[dg]_loss$"])),
                    chart(title="gradient norms", multiline=multiline(tag=[r"^[dg]_grad_norm$"])),
                ],
            )
        ]
    )
    with writer.as_default():
        tf.summary.experimental.write_raw_pb(cs_summary.pb(layout).SerializeToString(), step=0)


def sample_grid(generator, fixed_z, value_range, fixed_labels=None) -> np.ndarray:
    """G's images of `fixed_z` as one uint8 grid.

    With `fixed_labels` (a conditional generator) each row holds one class:
    the grid has as many rows as distinct labels.
    """
    images = generator(with_labels(fixed_z, fixed_labels), training=False)
    rows = None if fixed_labels is None else len(np.unique(fixed_labels))
    return make_grid(to_uint8(images, value_range).numpy(), rows=rows)


class TensorBoardWriter(keras.callbacks.Callback):
    """Writes every metric and a sample grid from a fixed z to TensorBoard.

    Events are indexed by the model's own step counter, so a resumed run
    continues its curves instead of overwriting them.

    Args:
      logdir: Event file directory.
      fixed_z: float32 [N, latent_dim]: the same noise at every sample, so a
        user watches the same forgeries improve.
      value_range: The generator's output range.
      log_every: Scalars every this many steps.
      sample_every: Sample grid every this many steps; 0 means each epoch.
      fixed_labels: int32 [N] class labels of a conditional generator (one
        grid row per class), or None.
    """

    def __init__(self, logdir, fixed_z, value_range, log_every=10, sample_every=0, fixed_labels=None):
        super().__init__()
        self.writer = tf.summary.create_file_writer(logdir)
        self.fixed_z = np.asarray(fixed_z, np.float32)
        self.fixed_labels = fixed_labels
        self.value_range = value_range
        self.log_every, self.sample_every = log_every, sample_every
        self.last_logs = {}
        self._written = {"scalars": None, "images": None}  # last step of each, never written twice

    def on_train_begin(self, logs=None):
        _write_layout(self.writer)

    def _scalars(self, step, logs):
        if self._written["scalars"] == step:
            return
        self._written["scalars"] = step
        with self.writer.as_default(step=step):
            for name, value in logs.items():
                tf.summary.scalar(name, float(value))
            tf.summary.scalar("eq/half", 0.5)
            tf.summary.scalar("eq/minus_log_4", -LOG_4)

    def sample_grid(self) -> np.ndarray:
        return sample_grid(self.model.sampling_generator, self.fixed_z, self.value_range, self.fixed_labels)

    def _images(self, step):
        if self._written["images"] == step:
            return
        self._written["images"] = step
        with self.writer.as_default(step=step):
            tf.summary.image("samples", self.sample_grid()[None], step=step)
            if self.last_logs:
                tf.summary.text("equilibrium", f"step {step}: " + equilibrium_report(self.last_logs))
        self.writer.flush()

    def on_train_batch_end(self, batch, logs=None):
        step = current_step(self.model)
        self.last_logs = {k: float(v) for k, v in (logs or {}).items()}
        if step % self.log_every == 0 and self.last_logs:
            self._scalars(step, self.last_logs)
        if self.sample_every and step % self.sample_every == 0:
            self._images(step)

    def on_epoch_end(self, epoch, logs=None):
        if not self.sample_every:
            self._images(current_step(self.model))

    def on_train_end(self, logs=None):
        step = current_step(self.model)
        if self.last_logs:
            self._scalars(step, self.last_logs)
        self._images(step)
        self.writer.flush()
