"""An exponential moving average of the generator's weights.

Karras et al. 2018, "Progressive Growing of GANs" (sec. A.1) and Yazıcı
et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training":
samples from the averaged weights are better than from the last ones.
After every G update, ``ema = decay * ema + (1 - decay) * G`` for each
trainable weight; non-trainable state (BatchNorm's moving statistics) is
copied, as StyleGAN2 copies its buffers, so the average runs with the
statistics of G's current activations.
"""

from __future__ import annotations

import keras


def _state(model):
    """(trainable weights, other float state): RNG states are left alone."""
    other = [v for v in model.non_trainable_variables if "seed_generator" not in v.path]
    return list(model.trainable_variables), other


def clone_generator(generator):
    """A copy of `generator` with its own weights, equal to G's now."""
    ema = keras.models.clone_model(generator)
    restart(ema, generator)
    return ema


def restart(ema_generator, generator):
    """Sets the average to G's current weights (a new average starts there)."""
    ema_generator.set_weights(generator.get_weights())


def update(ema_generator, generator, decay, reduce=None):
    """Moves `ema_generator` towards `generator`: ``ema = decay * ema + (1 - decay) * new``.

    Args:
      reduce: Applied to the list of G's non-trainable values before they
        are copied (under replicas: their mean, which each replica's own
        BatchNorm statistics become only later in the step).
    """
    ema_train, ema_other = _state(ema_generator)
    train, other = _state(generator)
    # clone_model makes the same layers in the same order: weights pair up.
    for e, v in zip(ema_train, train, strict=True):
        e.assign(decay * e + (1.0 - decay) * keras.ops.cast(v, e.dtype))
    values = [keras.ops.convert_to_tensor(v) for v in other]
    if reduce is not None and values:
        values = reduce(values)
    for e, v in zip(ema_other, values, strict=True):
        e.assign(keras.ops.cast(v, e.dtype))
