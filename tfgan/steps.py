"""Small pieces every family's `train_step` is built from.

Each family writes its own keras-io-style ``train_step``; what they share
is how an update is guarded, not a base class with hooks:

- `add_step_counters` gives a model the checkpointed step counter and the
  NaN flags that `tfgan.run.callbacks.NanGuard` reads;
- `apply_if_finite` applies one optimiser's update unless its loss or
  gradients are NaN/inf (or, under loss scaling, overflowed), and records
  which quantity failed;
- `unscaled_norm` is the gradient norm a log should show under loss scaling;
- `tfgan.distribute.all_mean` and `tfgan.precision.end_step` do the rest.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tfgan import distribute, precision

# Counters written identically by every replica: keep the first replica's.
REPLICATED = {"aggregation": "only_first_replica"}


def add_step_counters(model: keras.Model, nonfinite_bits: dict[int, str]) -> None:
    """Adds ``step``, ``nonfinite`` and ``skipped_updates`` to `model`.

    Args:
      model: The family's Keras model (call from its ``__init__``).
      nonfinite_bits: Bit -> name of what it flags (e.g. ``{1: "d_loss",
        2: "D's gradients"}``); stored as ``model.nonfinite_bits`` for the
        messages of `tfgan.run.callbacks.NanGuard`.
    """
    # Counts completed train steps; checkpointed, so a resumed run knows where it is.
    model.step = model.add_weight(
        shape=(), dtype="int64", initializer="zeros", trainable=False, name="step", **REPLICATED
    )
    # A non-finite loss or gradient never reaches the weights: its update is
    # skipped, flagged here and counted, and NanGuard decides whether
    # training stops.
    model.nonfinite = model.add_weight(
        shape=(), dtype="int32", initializer="zeros", trainable=False, name="nonfinite", **REPLICATED
    )
    model.skipped_updates = model.add_weight(
        shape=(), dtype="int64", initializer="zeros", trainable=False, name="skipped_updates", **REPLICATED
    )
    model.nonfinite_bits = dict(nonfinite_bits)


def unscaled_norm(grads, optimizer):
    """Global norm of the gradients of the unscaled loss (read before `apply` rescales)."""
    return tf.linalg.global_norm(grads) / ops.cast(precision.loss_scale(optimizer), "float32")


def apply_if_finite(model, optimizer, grads, variables, loss, grad_norm, loss_bit, skip=False):
    """Applies one update unless the loss or the gradients are NaN/inf, or `skip`.

    Sets ``loss_bit`` (loss not finite) and ``2 * loss_bit`` (gradients not
    finite) in ``model.nonfinite`` and counts a refused update in
    ``model.skipped_updates``.

    Args:
      model: A model with `add_step_counters`' variables.
      optimizer: The optimiser of `variables` (a `LossScaleOptimizer` under
        mixed precision: its gradients are unscaled here).
      grads: Gradients of the (scaled) loss, already averaged over replicas.
      variables: What `optimizer` updates.
      loss: The unscaled loss (checked for NaN/inf on every replica).
      grad_norm: `unscaled_norm` of `grads`.
      loss_bit: This update's bit in ``model.nonfinite_bits``.
      skip: bool tensor: refuse the update anyway (a step already known to
        overflow).

    Returns:
      Whether the gradients overflowed under loss scaling (always False
      without): routine, not a NaN event; `tfgan.precision.end_step` then
      skips the whole step and lowers the scales.
    """
    loss_ok = ops.all(ops.isfinite(distribute.all_mean(loss)))  # the same on every replica
    overflow = False
    if precision.scales_losses(optimizer):
        overflow = ops.logical_not(ops.isfinite(grad_norm))
        grads, optimizer = precision.unscale(grads, optimizer), precision.unscaled(optimizer)
        grads_ok = True
    else:
        grads_ok = ops.isfinite(grad_norm)
    ok = ops.logical_and(loss_ok, grads_ok)
    flags = ops.where(loss_ok, 0, loss_bit) + ops.where(grads_ok, 0, 2 * loss_bit)
    model.nonfinite.assign(tf.bitwise.bitwise_or(model.nonfinite, ops.cast(flags, "int32")))
    model.skipped_updates.assign_add(ops.cast(ops.logical_not(ok), "int64"))
    apply = ops.logical_and(ok, ops.logical_not(ops.logical_or(overflow, skip)))
    distribute.apply_if(apply, optimizer, grads, variables)
    return overflow


def update(model, optimizer, grads, variables, loss, loss_bit, skip=False):
    """One player's update from the gradients of its scaled loss: all-reduced, then applied if finite.

    The common case of a train step's update, e.g.::

        with tf.GradientTape() as tape:
            loss = my_generator_loss(...)
            scaled = self.g_optimizer.scale_loss(loss)  # identity without loss scaling
        grad_norm, overflow = steps.update(self, self.g_optimizer, tape.gradient(scaled, variables),
                                           variables, loss, loss_bit=4)

    Returns:
      ``(grad_norm, overflow)``: the unscaled global gradient norm and
      `apply_if_finite`'s overflow flag.
    """
    grads = distribute.all_mean(grads)  # the gradient of the global batch's mean loss
    grad_norm = unscaled_norm(grads, optimizer)
    overflow = apply_if_finite(model, optimizer, grads, variables, loss, grad_norm, loss_bit, skip=skip)
    return grad_norm, overflow
