"""SNGAN-style ResNet generator and discriminator (``--model=resnet``).

The CIFAR-10 networks of Miyato et al. 2018 ("Spectral Normalization for
Generative Adversarial Networks", appendix B.4, Table 4), after Gulrajani
et al. 2017 ("Improved Training of Wasserstein GANs"):

- G: z -> Dense 4x4x256 -> n upsampling residual blocks (BN, ReLU,
  nearest-neighbour upsampling, conv3x3, BN, ReLU, conv3x3; 1x1-conv
  shortcut) -> BN, ReLU, conv3x3, tanh.
- D: an "optimized" first block (conv3x3, ReLU, conv3x3, avg-pool; shortcut
  avg-pool then conv1x1), further downsampling blocks (ReLU, conv3x3, ReLU,
  conv3x3, avg-pool), two blocks at constant size, ReLU, global sum
  pooling, Dense 1; each convolution and dense layer spectrally normalised
  when ``spectral_norm`` is set.

Sizes follow ``image_size = s * 2**n`` (3 <= s <= 7, as `dcgan`): G has n
upsampling blocks from s x s; D downsamples max(1, n - 1) times, so 32x32
gives SNGAN's layout exactly (G 4 -> 8 -> 16 -> 32; D 32 -> 16 -> 8, then
two 8x8 blocks) and 8, 16, 28 and 64 fall out. With ``num_classes`` G's
input is z plus a label embedding and D a projection discriminator
(Miyato & Koyama 2018) on the pooled features. Noise N(0, 1); pixels in
[-1, 1].
"""

from __future__ import annotations

import keras
from keras import layers, ops

from tfgan.families.image import conditioning
from tfgan.families.image.blocks import Networks, dcgan_upsamplings, maybe_spectral_norm

G_CHANNELS = 256
D_CHANNELS = 128


@keras.saving.register_keras_serializable(package="tfgan")
class GlobalSumPooling2D(layers.Layer):
    """Sum over height and width: [B, H, W, C] -> [B, C] (SNGAN's D)."""

    def call(self, x):
        return ops.sum(x, axis=(1, 2))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def _g_block(x, channels):
    shortcut = layers.Conv2D(channels, 1)(layers.UpSampling2D(2)(x))
    h = layers.ReLU()(layers.BatchNormalization()(x))
    h = layers.Conv2D(channels, 3, padding="same")(layers.UpSampling2D(2)(h))
    h = layers.ReLU()(layers.BatchNormalization()(h))
    h = layers.Conv2D(channels, 3, padding="same")(h)
    return layers.Add()([h, shortcut])


def _d_block(x, channels, *, down, first, sn):
    def conv(k):
        return _sn(layers.Conv2D(channels, k, padding="same"), sn)

    if first:  # the "optimized" block: no ReLU before the first convolution
        h = conv(3)(x)
        h = conv(3)(layers.ReLU()(h))
        h = layers.AveragePooling2D(2)(h)
        shortcut = conv(1)(layers.AveragePooling2D(2)(x))
        return layers.Add()([h, shortcut])
    h = conv(3)(layers.ReLU()(x))
    h = conv(3)(layers.ReLU()(h))
    shortcut = x
    if down or x.shape[-1] != channels:
        shortcut = conv(1)(x)
    if down:
        h, shortcut = layers.AveragePooling2D(2)(h), layers.AveragePooling2D(2)(shortcut)
    return layers.Add()([h, shortcut])


def _sn(layer, enabled):
    return maybe_spectral_norm(layer, enabled)


def resnet(latent_dim: int, image_shape, num_classes=None, spectral_norm=False):
    """The SNGAN ResNet pair for `image_shape` (see the module docstring).

    Args:
      latent_dim: Size of z.
      image_shape: ``(H, W, C)``, H = W = s * 2**n with 3 <= s <= 7, n >= 1.
      num_classes: Class-conditional networks; None: unconditional.
      spectral_norm: Spectral normalisation of every D layer.

    Returns:
      A `tfgan.families.image.blocks.Networks`.

    Raises:
      ValueError: An image size of another form.
    """
    size, _, channels = image_shape
    start, n = dcgan_upsamplings(size)

    def g_body(x):
        x = layers.Dense(start * start * G_CHANNELS)(x)
        x = layers.Reshape((start, start, G_CHANNELS))(x)
        for _ in range(n):
            x = _g_block(x, G_CHANNELS)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        return layers.Conv2D(channels, 3, padding="same", activation="tanh")(x)

    def phi(image):
        h = _d_block(image, D_CHANNELS, down=True, first=True, sn=spectral_norm)
        for _ in range(max(1, n - 1) - 1):
            h = _d_block(h, D_CHANNELS, down=True, first=False, sn=spectral_norm)
        for _ in range(2):
            h = _d_block(h, D_CHANNELS, down=False, first=False, sn=spectral_norm)
        return GlobalSumPooling2D()(layers.ReLU()(h))

    if num_classes:
        generator = conditioning.conditional_generator(g_body, latent_dim, num_classes)
        discriminator = conditioning.projection_discriminator(image_shape, phi, num_classes, spectral_norm)
    else:
        z = keras.Input((latent_dim,), name="z")
        generator = keras.Model(z, g_body(z), name="generator")
        image = keras.Input(image_shape, name="image")
        logit = _sn(layers.Dense(1), spectral_norm)(phi(image))
        discriminator = keras.Model(image, logit, name="discriminator")
    return Networks(generator, discriminator, "normal", (-1.0, 1.0))
