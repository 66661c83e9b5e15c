"""StyleGAN2's layers in plain Keras 3 ops (no custom CUDA ops).

Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"
(StyleGAN2): equalised learning rate (weights drawn N(0, 1) and scaled by
He's constant at run time, times a learning-rate multiplier), the mapping
network (PixelNorm then 8 dense layers at lr multiplier 0.01), and the
modulated/demodulated convolution (sec. 2.2, eq. 1-3).
"""

from __future__ import annotations

import math

import keras
from keras import ops

DEMOD_EPSILON = 1e-8


def pixel_norm(x, epsilon=1e-8):
    """x / sqrt(mean(x^2) + eps) over the last axis (Karras et al. 2018, sec. 4.2)."""
    return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + epsilon)


class EqualDense(keras.layers.Layer):
    """A dense layer with equalised learning rate.

    The stored weight is N(0, 1/lr_multiplier^2); the layer uses it times
    ``lr_multiplier / sqrt(fan_in)``, so Adam's step on the stored weight
    moves the used weight lr_multiplier times as far (StyleGAN's mapping
    network learns 100x slower at 0.01).
    """

    def __init__(self, units, *, lr_multiplier=1.0, bias_init=0.0, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.lr_multiplier, self.bias_init = units, float(lr_multiplier), float(bias_init)
        self.activation = activation

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier),
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier),
            name="bias",
        )
        self.weight_gain = self.lr_multiplier / math.sqrt(fan_in)

    def call(self, x):
        y = ops.matmul(x, self.kernel * self.weight_gain) + self.bias * self.lr_multiplier
        if self.activation == "lrelu":
            y = ops.leaky_relu(y, 0.2) * math.sqrt(2.0)  # the gain keeps the activations' scale
        return y


def mapping_network(latent_dim=512, w_dim=512, num_layers=8, lr_multiplier=0.01, name="mapping"):
    """z [B, latent_dim] -> w [B, w_dim]: PixelNorm then `num_layers` equalised dense layers."""
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Lambda(pixel_norm, name="pixel_norm")(z)
    for i in range(num_layers):
        x = EqualDense(w_dim, lr_multiplier=lr_multiplier, activation="lrelu", name=f"dense{i}")(x)
    return keras.Model(z, x, name=name)


def modulated_conv2d(x, kernel, styles, demodulate=True):
    """StyleGAN2's modulated convolution (sec. 2.2), in its non-fused form.

    Scaling the input features by s, convolving with the shared kernel and
    scaling each output feature by d equals convolving with the per-sample
    weights ``w' = s * w`` (eq. 1) divided by ``||w'||`` (eq. 3); StyleGAN2's
    own code offers this form (``fused_modconv=False``), and it needs no
    grouped convolution.

    Args:
      x: [B, H, W, Cin].
      kernel: [k, k, Cin, Cout] (already scaled by its equalised-lr gain).
      styles: [B, Cin], the per-sample scales s.
      demodulate: Divide each output feature by the L2 norm of its modulated
        weights, so unit-variance inputs give unit-variance outputs.

    Returns:
      [B, H, W, Cout] ('same' padding).
    """
    y = ops.conv(x * styles[:, None, None, :], kernel, padding="same")
    if demodulate:
        # d[b, o] = 1 / sqrt(sum_{i,j,c} (s[b, c] w[i, j, c, o])^2 + eps)
        sq = ops.matmul(ops.square(styles), ops.sum(ops.square(kernel), axis=(0, 1)))  # [B, Cout]
        y = y * ops.rsqrt(sq + DEMOD_EPSILON)[:, None, None, :]
    return y


def broadcast_w(w, num_layers):
    """w [B, D] -> W+ [B, num_layers, D]: the same code for every style layer."""
    return ops.repeat(w[:, None, :], num_layers, axis=1)


def mix_styles(w1, w2, crossover):
    """Style mixing (StyleGAN sec. 3.1): W+ whose layers below `crossover` take w1, the rest w2.

    Args:
      w1, w2: [B, D] codes.
      crossover: int or int tensor [B]: the first style layer that takes w2.

    Returns:
      ``num_layers -> W+ [B, num_layers, D]``.
    """

    def mix(num_layers):
        layer = ops.arange(num_layers, dtype="int32")[None, :, None]
        cut = ops.reshape(ops.cast(crossover, "int32"), (-1, 1, 1))
        return ops.where(layer < cut, broadcast_w(w1, num_layers), broadcast_w(w2, num_layers))

    return mix


def truncate(w, w_avg, psi):
    """The truncation trick: w_avg + psi (w - w_avg); psi = 1 leaves w as it is."""
    return w_avg + psi * (w - w_avg)


BLUR_TAPS = (1.0, 3.0, 3.0, 1.0)


def blur_kernel(channels, gain=1.0):
    """The [1,3,3,1] x [1,3,3,1] low-pass filter, normalised to sum `gain`, as a depthwise kernel [4, 4, C, 1]."""
    taps = ops.convert_to_tensor(BLUR_TAPS)
    k = taps[:, None] * taps[None, :]
    k = k / ops.sum(k) * gain
    return ops.tile(k[:, :, None, None], (1, 1, channels, 1))


def blur(x, gain=1.0):
    """x [B, H, W, C] filtered by `blur_kernel` ('same' size, zero padding 2 before and 1 after)."""
    c = x.shape[-1]
    x = ops.pad(x, ((0, 0), (2, 1), (2, 1), (0, 0)))
    return ops.depthwise_conv(x, blur_kernel(c, gain), padding="valid")


def minibatch_stddev(x, group_size=4):
    """Appends one feature map: the mean over features of the std over each group of `group_size` images.

    Karras et al. 2018, sec. 3 (StyleGAN2's D, with one feature channel).
    The batch must be a multiple of the group (or smaller than it).
    """
    b, h, w, c = ops.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
    g = ops.minimum(group_size, b)
    y = ops.reshape(x, (g, -1, h, w, c))
    y = ops.sqrt(ops.var(y, axis=0) + 1e-8)  # [B/g, H, W, C]
    y = ops.mean(y, axis=(1, 2, 3), keepdims=True)  # [B/g, 1, 1, 1]
    y = ops.tile(y, (g, h, w, 1))
    return ops.concatenate([x, y], axis=-1)
