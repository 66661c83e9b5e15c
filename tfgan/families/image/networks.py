"""Generator and discriminator networks, looked up by name.

A generator maps z [B, latent_dim] to images [B, H, W, C] in the network's
`output_range`; a discriminator maps images to one *logit* per image (the
sigmoid that turns it into D's probability lives in the losses, where it
can be computed stably). Given ``num_classes``, both are class-conditional
(`tfgan.families.image.conditioning`): G takes ``[z, label]`` and D ``[images, label]``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from tfgan import convolution
from tfgan.families.image import conditioning
from tfgan.families.image import resnet as resnet_lib
from tfgan.families.image.blocks import (  # noqa: F401  (re-exported: the public names of the image networks)
    NOISE_KINDS,
    SQRT3,
    Networks,
    dcgan_upsamplings,
    maybe_spectral_norm,
    sample_noise,
)


@keras.saving.register_keras_serializable(package="tfgan")
class Maxout(layers.Layer):
    """Maxout units (Goodfellow et al. 2013): the max over `pieces` affine maps.

    Args:
      units: Output units.
      pieces: Affine pieces per unit.
      kernel_initializer, kernel_constraint: As for `keras.layers.Dense`.
      spectral_norm: Spectrally normalise the affine maps (`maybe_spectral_norm`).
    """

    def __init__(
        self,
        units,
        pieces,
        kernel_initializer="glorot_uniform",
        kernel_constraint=None,
        spectral_norm=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units, self.pieces = units, pieces
        self.spectral_norm = spectral_norm
        self.dense = layers.Dense(
            units * pieces,
            kernel_initializer=kernel_initializer,
            kernel_constraint=kernel_constraint,
        )
        # Only with spectral_norm: a second path to the same Dense would
        # change the checkpoint layout of existing runs.
        self.normalized = layers.SpectralNormalization(self.dense) if spectral_norm else None

    def build(self, input_shape):
        (self.dense if self.normalized is None else self.normalized).build(input_shape)

    def call(self, x, training=False):
        y = self.normalized(x, training=training) if self.normalized is not None else self.dense(x)
        y = ops.reshape(y, (-1, self.units, self.pieces))
        return ops.max(y, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            pieces=self.pieces,
            kernel_initializer=keras.initializers.serialize(self.dense.kernel_initializer),
            kernel_constraint=keras.constraints.serialize(self.dense.kernel_constraint),
            spectral_norm=self.spectral_norm,
        )
        return config


def mlp(latent_dim: int, image_shape, pixel_mean=None, num_classes=None, spectral_norm=False) -> Networks:
    """The MNIST networks of Goodfellow et al. 2014's released code (mnist.yaml).

    G: ReLU 1200 -> ReLU 1200 -> sigmoid, weights U(-0.05, 0.05), the
    sigmoid's bias set so that G's initial output is the data's mean image
    (``init_sigmoid_bias_from_marginals``). D: maxout 240x5 -> maxout 240x5
    -> sigmoid, weights U(-0.005, 0.005), dropout keeping 0.8 of the inputs
    and 0.5 of each hidden layer. Noise U[-sqrt 3, sqrt 3]; pixels in [0, 1].

    Args:
      latent_dim: Size of z.
      image_shape: ``(H, W, C)``.
      pixel_mean: Optional mean image [H, W, C] of the data in [0, 1];
        without it the output bias starts at 0.
      num_classes: Class-conditional networks for labels 0..num_classes-1
        (Mirza & Osindero 2014): G's input is z and a label embedding, D's
        the flattened image and a one-hot label. None: unconditional.
      spectral_norm: Spectrally normalise D's affine layers.
    """
    size = math.prod(image_shape)
    g_init = keras.initializers.RandomUniform(-0.05, 0.05)
    d_init = keras.initializers.RandomUniform(-0.005, 0.005)
    bias_init = "zeros"
    if pixel_mean is not None:
        p = np.clip(np.asarray(pixel_mean, np.float64).reshape(size), 1e-3, 1 - 1e-3)
        bias_init = keras.initializers.Constant(np.log(p / (1 - p)).astype(np.float32))
    g = [
        layers.Dense(1200, activation="relu", kernel_initializer=g_init),
        layers.Dense(1200, activation="relu", kernel_initializer=g_init),
        layers.Dense(size, activation="sigmoid", kernel_initializer=g_init, bias_initializer=bias_init),
        layers.Reshape(image_shape),
    ]
    d_input = [layers.Flatten(), layers.Dropout(0.2)]
    d = [
        Maxout(240, 5, kernel_initializer=d_init, spectral_norm=spectral_norm),
        layers.Dropout(0.5),
        Maxout(240, 5, kernel_initializer=d_init, spectral_norm=spectral_norm),
        layers.Dropout(0.5),
        maybe_spectral_norm(layers.Dense(1, kernel_initializer=d_init), spectral_norm),
    ]
    if num_classes:
        generator = conditioning.conditional_generator(g, latent_dim, num_classes)
        discriminator = conditioning.concat_discriminator(image_shape, d_input, d, num_classes)
    else:
        generator = keras.Sequential([keras.Input((latent_dim,)), *g], name="generator")
        discriminator = keras.Sequential([keras.Input(image_shape), *d_input, *d], name="discriminator")
    return Networks(generator, discriminator, "uniform", (0.0, 1.0))


def dcgan(latent_dim: int, image_shape, num_classes=None, spectral_norm=False) -> Networks:
    """The TensorFlow DCGAN tutorial's networks, generalised in size.

    At 28x28x1 this is the tutorial layer for layer. G: Dense s*s*256 ->
    Conv2DTranspose 128 (stride 1) -> 64 (stride 2) -> ... -> C (stride 2,
    tanh), 5x5 kernels, BatchNorm + LeakyReLU, no biases; for image_size =
    s * 2**n there are n stride-2 layers, halving the channels each time.
    D: n stride-2 5x5 convolutions (64, 128, ... channels) each with
    LeakyReLU and Dropout 0.3 -> Dense 1. Noise N(0, 1); pixels in [-1, 1].
    D has no BatchNormalization (a gradient penalty needs per-example
    gradients); `spectral_norm` wraps its Conv2D and Dense layers.

    With `num_classes`, G's input is z concatenated with a label embedding
    and D is a projection discriminator (Miyato & Koyama 2018) whose
    features phi(x) are the flattened convolutions.
    """
    size, _, channels = image_shape
    start, n = dcgan_upsamplings(size)
    g = [
        keras.Input((latent_dim,)),
        layers.Dense(start * start * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(0.3),
        layers.Reshape((start, start, 256)),
        convolution.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(0.3),
    ]
    filters = 64
    for _ in range(n - 1):
        g += [
            convolution.Conv2DTranspose(filters, 5, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.3),
        ]
        filters = max(16, filters // 2)
    g.append(convolution.Conv2DTranspose(channels, 5, strides=2, padding="same", use_bias=False, activation="tanh"))
    d = [keras.Input(image_shape)]
    for i in range(n):
        conv = maybe_spectral_norm(convolution.Conv2D(64 * 2**i, 5, strides=2, padding="same"), spectral_norm)
        d += [conv, layers.LeakyReLU(0.3), layers.Dropout(0.3)]
    d.append(layers.Flatten())
    if num_classes:
        generator = conditioning.conditional_generator(g[1:], latent_dim, num_classes)
        discriminator = conditioning.projection_discriminator(image_shape, d[1:], num_classes, spectral_norm)
    else:
        generator = keras.Sequential(g, name="generator")
        discriminator = keras.Sequential(
            [*d, maybe_spectral_norm(layers.Dense(1), spectral_norm)], name="discriminator"
        )
    return Networks(generator, discriminator, "normal", (-1.0, 1.0))


def resnet(latent_dim: int, image_shape, num_classes=None, spectral_norm=False) -> Networks:
    """SNGAN's ResNet generator and discriminator; see `tfgan.resnet`."""
    return resnet_lib.resnet(latent_dim, image_shape, num_classes=num_classes, spectral_norm=spectral_norm)


MODELS = {"mlp": mlp, "dcgan": dcgan, "resnet": resnet}


# Models whose initialisation uses the data's mean image.
USES_PIXEL_MEAN = ("mlp",)


def build(model: str, latent_dim: int, image_shape, pixel_mean=None, num_classes=None, spectral_norm=False) -> Networks:
    """Builds the named networks for images of `image_shape` (H, W, C).

    Args:
      pixel_mean: The data's mean image in [0, 1], used by models in
        `USES_PIXEL_MEAN` to initialise their output bias.
      num_classes: Class-conditional networks (see `tfgan.conditioning`)
        for labels 0..num_classes-1; None: unconditional.
      spectral_norm: Spectrally normalise D's layers (`maybe_spectral_norm`).

    Raises:
      ValueError: Unknown model name or an image size the model cannot make.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}.")
    options = {}
    if num_classes:
        options["num_classes"] = num_classes
    if spectral_norm:
        options["spectral_norm"] = True
    if model in USES_PIXEL_MEAN:
        options["pixel_mean"] = pixel_mean
    return MODELS[model](latent_dim, tuple(image_shape), **options)
