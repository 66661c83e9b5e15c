"""The networks of CycleGAN and pix2pix, after their reference code (junyanz/pytorch-CycleGAN-and-pix2pix).

- `resnet_generator`: CycleGAN's G (Johnson et al. 2016's architecture):
  reflect padding, 7x7 convolution, two stride-2 down-samplings, residual
  blocks, two up-samplings, 7x7 convolution, tanh. Instance normalisation
  is Keras' ``GroupNormalization(groups=-1)`` (one group per channel).
- `patch_discriminator`: the 70x70 PatchGAN (for ``layers=3``): a grid of
  linear real/fake scores, each seeing a 70x70 patch.
- `unet_generator`: pix2pix's U-Net with skip connections and dropout 0.5
  in the three innermost decoder layers (the noise of pix2pix).
- `conditional_patch_discriminator`: the PatchGAN on (input, output)
  concatenated on channels.

Every generator maps [B, H, W, C] in [-1, 1] to [B, H, W, C_out] in
[-1, 1], for any H and W divisible by its `multiple` (fully convolutional).
"""

from __future__ import annotations

import keras
from keras import layers, ops

# The reference code initialises weights from N(0, 0.02) (init_type=normal).
INIT = keras.initializers.RandomNormal(stddev=0.02)


@keras.saving.register_keras_serializable(package="tfgan.translation")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring (``torch.nn.ReflectionPad2d``); Keras has no such layer."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda d: None if d is None else d + 2 * self.padding  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def instance_norm(name=None):
    """Instance normalisation: GroupNormalization with one group per channel."""
    return layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)


def _conv(filters, kernel, strides=1, padding="valid", name=None, use_bias=True):
    return layers.Conv2D(
        filters, kernel, strides=strides, padding=padding, kernel_initializer=INIT, use_bias=use_bias, name=name
    )


def _upsample(x, filters, mode, name):
    if mode == "resize":
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_resize")(x)
        x = ReflectionPadding2D(1, name=f"{name}_pad")(x)
        return _conv(filters, 3, name=f"{name}_conv")(x)
    return layers.Conv2DTranspose(filters, 3, strides=2, padding="same", kernel_initializer=INIT, name=f"{name}_tconv")(
        x
    )


def resnet_generator(channels, *, out_channels=None, filters=64, blocks=9, upsample="transpose", name="generator"):
    """CycleGAN's ResNet generator (the reference ``resnet_9blocks``/``resnet_6blocks``).

    Args:
      channels: Input channels.
      out_channels: Output channels (default `channels`).
      filters: Filters of the first layer (ngf); 2x and 4x after each
        down-sampling.
      blocks: Residual blocks at the lowest resolution.
      upsample: ``transpose`` (3x3 transposed convolutions, the paper's) or
        ``resize`` (nearest resize + 3x3 convolution, no checkerboard).

    Returns:
      A `keras.Model` [B, H, W, channels] -> [B, H, W, out_channels] in
      [-1, 1], H and W divisible by 4 (`multiple`) and at least 4.
    """
    inputs = keras.Input((None, None, channels), name="images")
    x = ReflectionPadding2D(3, name="pad_in")(inputs)
    x = _conv(filters, 7, name="conv_in")(x)
    x = layers.ReLU()(instance_norm("norm_in")(x))
    for i, f in enumerate((filters * 2, filters * 4)):
        x = _conv(f, 3, strides=2, padding="same", name=f"down{i}")(x)
        x = layers.ReLU()(instance_norm(f"down{i}_norm")(x))
    for i in range(blocks):
        y = ReflectionPadding2D(1, name=f"block{i}_pad0")(x)
        y = layers.ReLU()(instance_norm(f"block{i}_norm0")(_conv(filters * 4, 3, name=f"block{i}_conv0")(y)))
        y = ReflectionPadding2D(1, name=f"block{i}_pad1")(y)
        y = instance_norm(f"block{i}_norm1")(_conv(filters * 4, 3, name=f"block{i}_conv1")(y))
        x = layers.Add(name=f"block{i}_add")([x, y])
    for i, f in enumerate((filters * 2, filters)):
        x = _upsample(x, f, upsample, name=f"up{i}")
        x = layers.ReLU()(instance_norm(f"up{i}_norm")(x))
    x = ReflectionPadding2D(3, name="pad_out")(x)
    x = _conv(out_channels or channels, 7, name="conv_out")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def patch_discriminator(channels, *, filters=64, layers_count=3, name="discriminator"):
    """The PatchGAN discriminator (reference ``NLayerDiscriminator``; 70x70 patches for ``layers_count=3``).

    4x4 convolutions with one pixel of zero padding, as in the reference:
    `layers_count` of stride 2 (the first without normalisation), one of
    stride 1, then a 1-filter score map. LeakyReLU 0.2, instance norm.

    Returns:
      A `keras.Model` [B, H, W, channels] -> raw scores [B, h, w, 1] (no
      sigmoid: the losses take logits or least-squares scores).
    """
    inputs = keras.Input((None, None, channels), name="images")
    x = inputs
    f = filters
    for i in range(layers_count + 1):
        stride = 2 if i < layers_count else 1
        f = filters * min(2**i, 8)
        x = layers.ZeroPadding2D(1)(x)
        x = _conv(f, 4, strides=stride, name=f"conv{i}")(x)
        if i > 0:
            x = instance_norm(f"norm{i}")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D(1)(x)
    outputs = layers.Activation("linear", dtype="float32")(_conv(1, 4, name="score")(x))
    return keras.Model(inputs, outputs, name=name)


def conditional_patch_discriminator(in_channels, out_channels, *, filters=64, layers_count=3, name="discriminator"):
    """pix2pix's D: the PatchGAN on the input and the (real or generated) output, concatenated.

    Returns:
      A `keras.Model` ``[input [B, H, W, in_channels], output [B, H, W,
      out_channels]] -> scores [B, h, w, 1]``.
    """
    source = keras.Input((None, None, in_channels), name="input_image")
    target = keras.Input((None, None, out_channels), name="output_image")
    patch = patch_discriminator(in_channels + out_channels, filters=filters, layers_count=layers_count, name="patch")
    scores = patch(layers.Concatenate(axis=-1)([source, target]))
    return keras.Model([source, target], scores, name=name)


def unet_generator(channels, *, out_channels=None, filters=64, depth=8, upsample="transpose", name="generator"):
    """pix2pix's U-Net (reference ``unet_256`` for depth 8).

    Encoder: `depth` 4x4 stride-2 convolutions (filters 64, 128, 256, then
    512), LeakyReLU 0.2, instance norm but on the first and the innermost;
    decoder mirrored with ReLU, each layer's output concatenated with the
    encoder's of the same size, dropout 0.5 in the three innermost decoder
    layers (pix2pix's only noise), tanh output. The reference normalises
    with BatchNorm at batch size 1, which is instance normalisation; it is
    written as such here.

    Returns:
      A `keras.Model` [B, H, W, channels] -> [B, H, W, out_channels] in
      [-1, 1], H and W divisible by ``2**depth``.
    """
    inputs = keras.Input((None, None, channels), name="images")
    skips, x = [], inputs
    widths = [filters * min(2**i, 8) for i in range(depth)]
    for i, f in enumerate(widths):
        x = _conv(f, 4, strides=2, padding="same", name=f"enc{i}", use_bias=True)(x)
        if 0 < i < depth - 1:
            x = instance_norm(f"enc{i}_norm")(x)
        x = layers.LeakyReLU(0.2)(x)
        skips.append(x)
    for j, i in enumerate(reversed(range(depth - 1))):
        x = _upsample(x, widths[i], upsample, name=f"dec{j}")
        x = instance_norm(f"dec{j}_norm")(x)
        if j < 3:
            x = layers.Dropout(0.5, name=f"dec{j}_dropout")(x)
        x = layers.ReLU()(x)
        x = layers.Concatenate(axis=-1)([x, skips[i]])
    x = _upsample(x, out_channels or channels, upsample, name="out")
    outputs = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def resnet_multiple() -> int:
    """Input sides of `resnet_generator` must be multiples of this (two stride-2 layers)."""
    return 4


def unet_multiple(depth: int) -> int:
    """Input sides of `unet_generator` of `depth` must be multiples of this."""
    return 2**depth
