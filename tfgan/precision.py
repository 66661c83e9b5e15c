"""Mixed precision (``--mixed_precision``): float16 or bfloat16 compute, float32 ends, loss scaling.

The networks compute in float16 (Keras's ``mixed_float16`` policy: float32
variables, float16 math), or in bfloat16 with ``--mixed_dtype=bfloat16``
(``mixed_bfloat16``), except at their ends: each network's last layer
with weights and everything after it stays float32, so D's logits, G's
images and the losses made from them are float32. The run machinery sets
the compute type around a family's setup (`computing_in`); families only
call `use_mixed_precision` and `loss_scaled`.

Loss scaling (below) is float16's: its 5 exponent bits let small gradients
underflow. bfloat16 has float32's 8 exponent bits, so under it
`loss_scaled` leaves the optimiser as it is (as in Kalamkar et al. 2019,
"A Study of BFLOAT16 for Deep Learning Training").

Each player's optimiser is wrapped in `keras.optimizers.LossScaleOptimizer`
(dynamic loss scaling, Micikevicius et al. 2018, "Mixed Precision Training"),
which holds that player's scale and multiplies its loss (``scale_loss``)
inside `GAN.train_step`'s tapes. The two players skip together: the unit of
the rule is the train step (k D updates, then one G update), not the update.

- If every scaled gradient of the step (all k D updates' and G's) is
  finite, each update is unscaled and applied by the inner optimiser; after
  ``dynamic_growth_steps`` (2000) such steps in a row both scales double.
- Otherwise the step is skipped by both players: G's update is not applied,
  and D's updates, applied before G's loss existed (Algorithm 1 needs the
  updated D for G's step), are undone: D's variables and its optimiser's
  slots and ``iterations`` are restored to their values before the step,
  as are G's non-trainable variables (BatchNorm statistics) and the EMA
  generator. Both scales halve and both finite-step counts restart.

The two scales therefore move together (they start equal and stay equal).
Undoing costs a copy of that state per step (TensorFlow copies a
variable's buffer when it is written while an earlier read of it is
alive) and a restore on overflow only. The train step counter advances
either way; an overflow is routine, not a NaN event (`tfgan.run.callbacks.NanGuard`).
"""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf
from keras import ops

from tfgan import distribute

# --mixed_dtype -> Keras dtype policy.
POLICIES = {"float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}
MIXED_DTYPES = tuple(POLICIES)
_compute = ["float16"]  # the compute type `computing_in` set (a stack: setups may nest)


@contextlib.contextmanager
def computing_in(dtype: str):
    """Within it, `use_mixed_precision` and `loss_scaled` are for `dtype` ("float16" or "bfloat16")."""
    if dtype not in POLICIES:
        raise ValueError(f"unknown mixed-precision compute type {dtype!r}; choose one of: {', '.join(POLICIES)}")
    _compute.append(dtype)
    try:
        yield
    finally:
        _compute.pop()


def policy() -> str:
    """The Keras dtype policy of the mixed-precision layers now (see `computing_in`)."""
    return POLICIES[_compute[-1]]


def float32_tail(model: keras.Model) -> list:
    """The layers of `model` that stay float32: its last layer with weights and all after it."""
    layers = model.layers
    last = max((i for i, layer in enumerate(layers) if layer.weights), default=len(layers) - 1)
    return layers[last:]


def use_mixed_precision(model: keras.Model) -> keras.Model:
    """Switches `model`'s layers to `policy()` in place, but for its float32 tail.

    Variables are float32 under both policies, so checkpoints are the same
    with and without mixed precision.

    Returns:
      `model`.
    """
    tail = {id(layer) for layer in float32_tail(model)}
    for layer in model.layers:
        if id(layer) not in tail:
            layer.dtype_policy = policy()
    return model


def scales_losses(optimizer) -> bool:
    """Whether `optimizer` scales its loss (is a `LossScaleOptimizer`)."""
    return isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def loss_scaled(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.LossScaleOptimizer:
    """`optimizer` with dynamic loss scaling (a no-op if it already has it, or under bfloat16)."""
    if scales_losses(optimizer) or _compute[-1] == "bfloat16":
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def loss_scale(optimizer) -> float | keras.Variable:
    """The factor `optimizer.scale_loss` multiplies losses by now (1 without loss scaling)."""
    if scales_losses(optimizer):
        return optimizer.dynamic_scale if optimizer.built else optimizer.initial_scale
    return optimizer.loss_scale_factor or 1.0


def unscaled(optimizer) -> keras.optimizers.Optimizer:
    """The optimiser that applies `optimizer`'s updates: its inner one under loss scaling."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def unscale(grads, optimizer: keras.optimizers.LossScaleOptimizer) -> list:
    """Gradients of a loss scaled by `optimizer.scale_loss`, divided by the scale."""
    scale = loss_scale(optimizer)
    return [None if g is None else g / ops.cast(scale, g.dtype) for g in grads]


def snapshot(variables) -> tuple:
    """(`variables`, their values now): what `end_step` restores after an overflow."""
    # Keras' `Variable.value` is the backend variable itself: read it now.
    return list(variables), [tf.identity(v.value) for v in variables]


def _restore(variables, values) -> None:
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def end_step(overflow, state, optimizers) -> None:
    """Ends a loss-scaled train step (see the module docstring).

    Args:
      overflow: bool tensor: some scaled gradient of the step was not finite
        (the same on every replica: gradients are all-reduced first).
      state: `snapshot` taken before the step's first D update (D's
        variables and optimiser slots, and the like); restored when `overflow`.
      optimizers: The players' `LossScaleOptimizer`s (both under
        ``--mixed_precision``), whose scales halve on
        `overflow` and double after a run of ``dynamic_growth_steps`` steps
        without.
    """
    distribute.run_if(overflow, _restore, *state)
    for optimizer in optimizers:
        grow = ops.logical_and(
            ops.logical_not(overflow), ops.equal(optimizer.step_counter, optimizer.dynamic_growth_steps - 1)
        )
        factor = ops.where(overflow, 0.5, ops.where(grow, 2.0, 1.0))
        optimizer.dynamic_scale.assign(optimizer.dynamic_scale * factor)
        restart = ops.logical_or(overflow, grow)
        optimizer.step_counter.assign(
            ops.where(restart, ops.zeros_like(optimizer.step_counter), optimizer.step_counter + 1)
        )
