"""Mixed precision (``--mixed_precision``): float16 compute, float32 ends and loss scaling.

The networks compute in float16 (Keras's ``mixed_float16`` policy: float32
variables, float16 math) except at their ends: each network's last layer
with weights and everything after it stays float32, so D's logits, G's
images and the losses made from them are float32.

Each player's optimiser is wrapped in `keras.optimizers.LossScaleOptimizer`
(dynamic loss scaling, Micikevicius et al. 2018, "Mixed Precision Training").
`GAN.train_step` multiplies each loss by its optimiser's ``scale_loss``
before differentiating and hands the scaled gradients to
``optimizer.apply``. The exact rule, per player and per update:

- if every scaled gradient is finite, they are divided by the scale and
  applied; after ``dynamic_growth_steps`` (2000) finite updates in a row
  the scale doubles;
- otherwise that player's update is skipped (its weights, slots and
  ``iterations`` are unchanged), its scale halves and its finite-run count
  restarts.

The two players keep separate scales: a D update that overflows does not
undo or skip the G update of the same train step, nor the other way round
(D is updated before G's loss is even computed, so skipping both together
would mean undoing D's update). The train step counter advances either way.
"""

from __future__ import annotations

import keras

POLICY = "mixed_float16"


def float32_tail(model: keras.Model) -> list:
    """The layers of `model` that stay float32: its last layer with weights and all after it."""
    layers = model.layers
    last = max((i for i, layer in enumerate(layers) if layer.weights), default=len(layers) - 1)
    return layers[last:]


def use_mixed_precision(model: keras.Model) -> keras.Model:
    """Switches `model`'s layers to ``mixed_float16`` in place, but for its float32 tail.

    Variables are float32 under both policies, so checkpoints are the same
    with and without mixed precision.

    Returns:
      `model`.
    """
    tail = {id(layer) for layer in float32_tail(model)}
    for layer in model.layers:
        if id(layer) not in tail:
            layer.dtype_policy = POLICY
    return model


def loss_scaled(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.LossScaleOptimizer:
    """`optimizer` with dynamic loss scaling (a no-op if it already has it)."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def loss_scale(optimizer) -> float | keras.Variable:
    """The factor `optimizer.scale_loss` multiplies losses by now (1 without loss scaling)."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.dynamic_scale if optimizer.built else optimizer.initial_scale
    return optimizer.loss_scale_factor or 1.0
