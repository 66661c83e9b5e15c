"""Discriminator regularisers: penalties on D's input gradient.

Each penalty takes `discriminate`, a callable images -> logits [B, 1] (D in
training mode, with whatever else D needs, e.g. labels, bound in), and is
computed with a nested `tf.GradientTape`: called inside the tape that
differentiates D's loss, its own gradient reaches D's weights (double
backpropagation). A penalty whose weight is 0 is never computed.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

# Added under the square root of a squared norm: d sqrt(s)/ds is infinite at
# s = 0, and 0 * inf = NaN would reach D's weights when D's input gradient
# vanishes (e.g. a dead ReLU region); with it the gradient there is 0.
NORM_EPSILON = 1e-12


def interpolation_alpha(batch_size, ndim, seed=None):
    """WGAN-GP's mixing coefficients: alpha ~ U(0, 1), one per example.

    Args:
      batch_size: B.
      ndim: Rank of the images (4 for [B, H, W, C]).
      seed: A `keras.random.SeedGenerator` or int.

    Returns:
      float32 [B, 1, ..., 1] (rank `ndim`), broadcasting over each image.
    """
    return keras.random.uniform((batch_size,) + (1,) * (ndim - 1), 0.0, 1.0, seed=seed)


def _input_gradients(discriminate, images):
    """dD/dx for each image: D's outputs summed, as each depends on its own image only."""
    with tf.GradientTape() as tape:
        tape.watch(images)
        total = ops.sum(ops.cast(discriminate(images), "float32"))
    return ops.cast(tape.gradient(total, images), "float32")


def gradient_penalty(discriminate, real, fake, alpha):
    """E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat = real + alpha (fake - real).

    Gulrajani et al. 2017, "Improved Training of Wasserstein GANs",
    Algorithm 1 (the penalty without its weight lambda). The norm is
    ``sqrt(sum + NORM_EPSILON)`` so a zero gradient gives a finite
    gradient of the penalty.

    Args:
      discriminate: images -> logits [B, 1].
      real, fake: Images [B, ...] of the same shape.
      alpha: [B, 1, ..., 1] in [0, 1] (`interpolation_alpha`).

    Returns:
      The scalar penalty.
    """
    real = ops.cast(real, "float32")
    x_hat = real + alpha * (ops.cast(fake, "float32") - real)
    grads = _input_gradients(discriminate, x_hat)
    axes = tuple(range(1, len(grads.shape)))
    norm = ops.sqrt(ops.sum(ops.square(grads), axis=axes) + NORM_EPSILON)
    return ops.mean(ops.square(norm - 1.0))


def r1_penalty(discriminate, real):
    """E_real[||grad_x D(x)||_2^2]: the R1 regulariser without its gamma/2.

    Mescheder, Geiger & Nowozin 2018, "Which Training Methods for GANs do
    actually Converge?", eq. 9: D's loss gets ``gamma/2`` times this.
    """
    grads = _input_gradients(discriminate, ops.cast(real, "float32"))
    axes = tuple(range(1, len(grads.shape)))
    return ops.mean(ops.sum(ops.square(grads), axis=axes))


def lazy_r1_due(d_step, interval):
    """Whether the D update numbered `d_step` (from 0) carries the R1 term.

    Lazy regularisation (Karras et al. 2020, "Analyzing and Improving the
    Image Quality of StyleGAN", sec. 3.1): R1 on every `interval`-th D
    update only, its weight multiplied by `interval` to keep its average.
    """
    return ops.equal(ops.mod(d_step, interval), 0)
