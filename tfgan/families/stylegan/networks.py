"""StyleGAN2's layers in plain Keras 3 ops (no custom CUDA ops).

Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"
(StyleGAN2): equalised learning rate (weights drawn N(0, 1) and scaled by
He's constant at run time, times a learning-rate multiplier), the mapping
network (PixelNorm then 8 dense layers at lr multiplier 0.01), and the
modulated/demodulated convolution (sec. 2.2, eq. 1-3), the [1,3,3,1]
resampling filters, and the layers the synthesis network
(`tfgan.families.stylegan.synthesis`) and the residual discriminator
(`tfgan.families.stylegan.discriminator`) are built from. Every layer has a
``get_config``, so `keras.models.clone_model` (the EMA copy of G,
`tfgan.ema`) rebuilds it.
"""

from __future__ import annotations

import math

import keras
from keras import ops

DEMOD_EPSILON = 1e-8


def pixel_norm(x, epsilon=1e-8):
    """x / sqrt(mean(x^2) + eps) over the last axis (Karras et al. 2018, sec. 4.2)."""
    return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + epsilon)


LRELU_GAIN = math.sqrt(2.0)  # keeps a unit-variance input's scale through leaky ReLU (0.2)


def lrelu(x):
    """StyleGAN's activation: leaky ReLU (slope 0.2) times sqrt(2)."""
    return ops.leaky_relu(x, 0.2) * LRELU_GAIN


class PixelNorm(keras.layers.Layer):
    """`pixel_norm` as a layer (the mapping network's first)."""

    def call(self, x):
        return pixel_norm(x)


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
            y = lrelu(y)
        return y

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "lr_multiplier": self.lr_multiplier,
            "bias_init": self.bias_init,
            "activation": self.activation,
        }


def mapping_network(latent_dim=512, w_dim=512, num_layers=8, lr_multiplier=0.01, name="mapping"):
    """z [B, latent_dim] -> w [B, w_dim]: PixelNorm then `num_layers` equalised dense layers."""
    z = keras.Input((latent_dim,), name="z")
    x = PixelNorm(name="pixel_norm")(z)
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


def fir_filter(x, pad0, pad1, gain=1.0, stride=1):
    """x [B, H, W, C] zero-padded by `pad0` before and `pad1` after, filtered by `blur_kernel`, every `stride`-th pixel kept.

    StyleGAN2's ``upfirdn2d`` without its up-sampling, for the symmetric
    [1,3,3,1] filter (so convolution and correlation agree).
    """
    c = x.shape[-1]
    x = ops.pad(x, ((0, 0), (pad0, pad1), (pad0, pad1), (0, 0)))
    return ops.depthwise_conv(x, blur_kernel(c, gain), strides=stride, padding="valid")


def blur(x, gain=1.0):
    """x [B, H, W, C] filtered by `blur_kernel` ('same' size, zero padding 2 before and 1 after)."""
    return fir_filter(x, 2, 1, gain)


def upsample2d(x):
    """x [B, H, W, C] -> [B, 2H, 2W, C]: zeros inserted after every pixel, then `blur` at gain 4.

    StyleGAN2's ``upsample2d`` (upfirdn2d with up=2, padding 2 before and 1
    after): the gain 4 restores the mean the inserted zeros took away, so a
    constant image stays that constant.
    """
    h, w, c = x.shape[1], x.shape[2], x.shape[3]
    x = ops.reshape(x, (-1, h, 1, w, 1, c))
    x = ops.pad(x, ((0, 0), (0, 0), (0, 1), (0, 0), (0, 1), (0, 0)))
    return blur(ops.reshape(x, (-1, 2 * h, 2 * w, c)), gain=4.0)


def downsample2d(x):
    """x [B, H, W, C] -> [B, H/2, W/2, C]: `blur_kernel` with padding 1 each side, stride 2 (StyleGAN2's ``downsample2d``)."""
    return fir_filter(x, 1, 1, stride=2)


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


class MinibatchStddev(keras.layers.Layer):
    """`minibatch_stddev` as a layer (the discriminator's epilogue)."""

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size)

    def call(self, x):
        return minibatch_stddev(x, self.group_size)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


class Upsample2D(keras.layers.Layer):
    """`upsample2d` as a layer: the synthesis network's RGB skip path."""

    def call(self, x):
        return upsample2d(x)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, 2 * h, 2 * w, c)


class EqualConv2D(keras.layers.Layer):
    """A convolution with equalised learning rate: the discriminator's layers.

    The stored kernel is N(0, 1), used times ``1 / sqrt(fan_in)``. With
    ``down=True`` the input is low-pass filtered before a stride-2
    convolution (StyleGAN2's ``conv2d_resample`` with down=2): a 1x1 kernel
    follows `downsample2d`; a 3x3 kernel follows the [1,3,3,1] filter with
    padding 2 each side and no padding of its own, so an H x H input gives
    H/2 x H/2.

    Args:
      filters: Output channels.
      kernel_size: 1 or 3.
      down: Halve the resolution.
      use_bias: Add a bias (before the activation).
      activation: ``"lrelu"`` (`lrelu`) or None.
      gain: Multiplies the output (after the activation): the residual
        blocks' 1/sqrt(2).
    """

    def __init__(self, filters, kernel_size, *, down=False, use_bias=True, activation="lrelu", gain=1.0, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.down = int(filters), int(kernel_size), bool(down)
        self.use_bias, self.activation, self.gain = bool(use_bias), activation, float(gain)

    def build(self, input_shape):
        fan_in = int(input_shape[-1]) * self.kernel_size**2
        k = self.kernel_size
        self.kernel = self.add_weight(
            shape=(k, k, int(input_shape[-1]), self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="kernel",
        )
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias") if self.use_bias else None
        self.weight_gain = 1.0 / math.sqrt(fan_in)

    def call(self, x):
        kernel = self.kernel * self.weight_gain
        if not self.down:
            y = ops.conv(x, kernel, padding="same")
        elif self.kernel_size == 1:
            y = ops.conv(downsample2d(x), kernel, padding="valid")
        else:
            pad = (4 - 2 + self.kernel_size - 1) // 2  # the filter's taps plus the kernel's, less the stride
            y = ops.conv(fir_filter(x, pad, pad), kernel, strides=2, padding="valid")
        if self.bias is not None:
            y = y + self.bias
        if self.activation == "lrelu":
            y = lrelu(y)
        return y * self.gain if self.gain != 1.0 else y

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        if self.down:
            h, w = h // 2, w // 2
        return (b, h, w, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "down": self.down,
            "use_bias": self.use_bias,
            "activation": self.activation,
            "gain": self.gain,
        }


class _Styled(keras.layers.Layer):
    """A layer modulated by one row of W+ (``w_plus[:, w_index]``): its affine map A of StyleGAN's Fig. 1.

    Called as ``layer(x, w_plus)``; `w_index` says which style layer it
    reads, so the synthesis network's layer <-> W+ index map is a property
    of its layers (`tfgan.families.stylegan.synthesis.layout`).
    """

    def __init__(self, filters, *, w_index, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.w_index = int(filters), int(w_index)

    def _build_affine(self, in_channels, w_dim):
        # Bias 1: every style starts as the identity scale (StyleGAN2's init).
        self.affine = EqualDense(in_channels, bias_init=1.0, name="affine")
        self.affine.build((None, w_dim))

    def styles(self, w_plus):
        return self.affine(w_plus[:, self.w_index])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "w_index": self.w_index}


class StyledConv(_Styled):
    """StyleGAN2's synthesis layer: modulated 3x3 convolution, per-pixel noise, bias and `lrelu`.

    ``up=True`` doubles the resolution first (`upsample2d`: zero insertion
    and the [1,3,3,1] filter; scaling channels commutes with it, so it
    equals modulating before up-sampling). The noise is one N(0, 1) value
    per pixel, shared by all channels and scaled by a learned per-channel
    strength (initially 0). In training a fresh image of noise is drawn per
    sample from the layer's own `keras.random.SeedGenerator`; at inference
    (``training=False``) a fixed noise image drawn at initialisation and
    stored as a non-trainable weight is used, so a sample, an export and
    its outputs are deterministic.

    Args:
      filters: Output channels.
      w_index: The W+ row that modulates it.
      resolution: Its output side (the fixed noise's size).
      up: Double the resolution first.
    """

    def __init__(self, filters, *, w_index, resolution, up=False, **kwargs):
        super().__init__(filters, w_index=w_index, **kwargs)
        self.resolution, self.up = int(resolution), bool(up)
        self.seed_generator = keras.random.SeedGenerator(name=f"{self.name}_noise")

    def build(self, x_shape, w_plus_shape):
        cin = int(x_shape[-1])
        self._build_affine(cin, int(w_plus_shape[-1]))
        self.kernel = self.add_weight(
            shape=(3, 3, cin, self.filters), initializer=keras.initializers.RandomNormal(stddev=1.0), name="kernel"
        )
        self.weight_gain = 1.0 / math.sqrt(cin * 9)
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        self.noise_strength = self.add_weight(shape=(self.filters,), initializer="zeros", name="noise_strength")
        self.noise_const = self.add_weight(
            shape=(self.resolution, self.resolution, 1),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            trainable=False,
            name="noise_const",
        )

    def call(self, x, w_plus, training=False):
        if self.up:
            x = upsample2d(x)
        x = modulated_conv2d(x, self.kernel * self.weight_gain, self.styles(w_plus), demodulate=True)
        if training:
            noise = keras.random.normal(
                (ops.shape(x)[0], self.resolution, self.resolution, 1), seed=self.seed_generator
            )
        else:
            noise = self.noise_const[None]
        return lrelu(x + noise * self.noise_strength + self.bias)

    def compute_output_shape(self, x_shape, w_plus_shape):
        return (x_shape[0], self.resolution, self.resolution, self.filters)

    def get_config(self):
        return {**super().get_config(), "resolution": self.resolution, "up": self.up}


class ToRGB(_Styled):
    """StyleGAN2's tRGB: a modulated 1x1 convolution without demodulation, plus a bias; no activation."""

    def build(self, x_shape, w_plus_shape):
        cin = int(x_shape[-1])
        self._build_affine(cin, int(w_plus_shape[-1]))
        self.kernel = self.add_weight(
            shape=(1, 1, cin, self.filters), initializer=keras.initializers.RandomNormal(stddev=1.0), name="kernel"
        )
        self.weight_gain = 1.0 / math.sqrt(cin)
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, x, w_plus):
        return modulated_conv2d(x, self.kernel * self.weight_gain, self.styles(w_plus), demodulate=False) + self.bias

    def compute_output_shape(self, x_shape, w_plus_shape):
        return (*x_shape[:-1], self.filters)


class ConstantInput(keras.layers.Layer):
    """The synthesis network's learned 4x4 input, N(0, 1) at initialisation, repeated for each row of W+."""

    def __init__(self, channels, size=4, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.size = int(channels), int(size)

    def build(self, w_plus_shape):
        self.const = self.add_weight(
            shape=(self.size, self.size, self.channels),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="const",
        )

    def call(self, w_plus):
        return ops.broadcast_to(self.const[None], (ops.shape(w_plus)[0], self.size, self.size, self.channels))

    def compute_output_shape(self, w_plus_shape):
        return (w_plus_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}
