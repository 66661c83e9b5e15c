"""The optimiser of Goodfellow et al. 2014's released MNIST code.

SGD with momentum rising linearly from 0.5 to 0.7 and a learning rate of
0.1 divided by 1.000004 after every update (floored at 1e-6), as in the
paper's pylearn2 configuration (``mnist.yaml``: ``ExponentialDecay`` and
``MomentumAdjustor``).
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfgan")
class ExponentialDecayFloor(keras.optimizers.schedules.LearningRateSchedule):
    """``max(initial / decay_factor**step, min_lr)``, decayed every update."""

    def __init__(self, initial_learning_rate, decay_factor=1.000004, min_lr=1e-6):
        self.initial_learning_rate = initial_learning_rate
        self.decay_factor = decay_factor
        self.min_lr = min_lr

    def __call__(self, step):
        step = ops.cast(step, "float32")
        lr = self.initial_learning_rate * ops.power(1.0 / self.decay_factor, step)
        return ops.maximum(lr, self.min_lr)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_factor": self.decay_factor,
            "min_lr": self.min_lr,
        }


@keras.saving.register_keras_serializable(package="tfgan")
class MomentumRampSGD(keras.optimizers.SGD):
    """SGD whose momentum rises linearly from `momentum` to `final_momentum`.

    Args:
      momentum: Momentum at update 0.
      final_momentum: Momentum from update `ramp_steps` on.
      ramp_steps: Updates over which momentum ramps (the paper: 250 epochs).
    """

    def __init__(self, learning_rate=0.1, momentum=0.5, final_momentum=0.7, ramp_steps=150_000, **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=momentum, **kwargs)
        self.final_momentum = final_momentum
        self.ramp_steps = ramp_steps

    def current_momentum(self):
        """The momentum for the next update, from the iteration count."""
        frac = ops.minimum(ops.cast(self.iterations, "float32") / float(max(1, self.ramp_steps)), 1.0)
        return self.momentum + (self.final_momentum - self.momentum) * frac

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        m = self.momentums[self._get_variable_index(variable)]
        momentum = ops.cast(self.current_momentum(), variable.dtype)
        self.assign(m, ops.subtract(ops.multiply(m, momentum), ops.multiply(gradient, learning_rate)))
        self.assign_add(variable, m)

    def get_config(self):
        config = super().get_config()
        config.update(final_momentum=self.final_momentum, ramp_steps=self.ramp_steps)
        return config


def paper_sgd(learning_rate=0.1, ramp_steps=150_000) -> MomentumRampSGD:
    """The paper's optimiser: lr 0.1 / 1.000004^t (>= 1e-6), momentum 0.5 -> 0.7."""
    return MomentumRampSGD(
        learning_rate=ExponentialDecayFloor(learning_rate), momentum=0.5, final_momentum=0.7, ramp_steps=ramp_steps
    )
