"""Class-conditional networks: how a label enters G and D.

A conditional generator maps ``[z [B, latent_dim], label int32 [B]]`` to
images; a conditional discriminator maps ``[images, label]`` to one logit
per image. Two ways of feeding the label to D:

- concatenation (Mirza & Osindero 2014, "Conditional Generative Adversarial
  Nets"): a one-hot label joins the flattened image, for the ``mlp`` model;
- projection (Miyato & Koyama 2018, "cGANs with Projection Discriminator"):
  ``logit = psi(phi(x)) + <embed(y), phi(x)>``, for convolutional D.

G always gets a learned label embedding concatenated to z.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from tfgan.families.image.blocks import maybe_spectral_norm


def with_labels(x, labels=None):
    """What a network is called with: `x` (z or images), or ``[x, labels]`` when conditional."""
    return x if labels is None else [x, labels]


def apply(layers_or_fn, x):
    """``layers_or_fn(x)`` for a function, else the layers applied in order."""
    if callable(layers_or_fn):
        return layers_or_fn(x)
    for layer in layers_or_fn:
        x = layer(x)
    return x


def label_input(name: str = "label") -> keras.KerasTensor:
    """The int32 [B] class label input of a conditional network."""
    return keras.Input((), dtype="int32", name=name)


def conditional_generator(body, latent_dim: int, num_classes: int, embed_dim: int = 50, name="generator"):
    """``[z, label] -> body(concat(z, embed(label)))``.

    Args:
      body: A function of the concatenated tensor, or a list of layers
        applied in order.
      latent_dim: Size of z.
      num_classes: Labels are 0..num_classes-1.
      embed_dim: Size of the label embedding.
    """
    z = keras.Input((latent_dim,), name="z")
    y = label_input()
    x = layers.Concatenate()([z, layers.Embedding(num_classes, embed_dim, name="label_embedding")(y)])
    return keras.Model([z, y], apply(body, x), name=name)


def concat_discriminator(image_shape, before, after, num_classes: int, name="discriminator"):
    """Mirza & Osindero's D: ``after(concat(before(image), one_hot(label)))``.

    Args:
      image_shape: ``(H, W, C)``.
      before: Layers applied to the image first (e.g. Flatten, Dropout).
      after: Layers applied to the concatenation, ending in the logit.
      num_classes: Labels are 0..num_classes-1.
    """
    image = keras.Input(image_shape, name="image")
    y = label_input()
    x = image
    for layer in before:
        x = layer(x)
    x = layers.Concatenate()([x, layers.CategoryEncoding(num_classes, output_mode="one_hot")(y)])
    for layer in after:
        x = layer(x)
    return keras.Model([image, y], x, name=name)


@keras.saving.register_keras_serializable(package="tfgan")
class ClassProjection(layers.Layer):
    """``<embed(y), h>``: the class term of a projection discriminator.

    The embedding is a bias-free Dense layer of the one-hot label (the same
    map as an Embedding lookup), so that `keras.layers.SpectralNormalization`
    can normalise it as SNGAN's conditional D does (Keras' wrapper casts its
    output to the input's dtype, which breaks an integer-indexed Embedding).

    Args:
      num_classes: Labels are 0..num_classes-1.
      spectral_norm: Spectrally normalise the embedding matrix.
    """

    def __init__(self, num_classes, spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.spectral_norm = num_classes, spectral_norm
        self.embedding = None

    def build(self, input_shape):
        features = input_shape[0][-1]
        self.dense = layers.Dense(features, use_bias=False, name="embedding")
        self.embedding = maybe_spectral_norm(self.dense, self.spectral_norm)
        self.embedding.build((None, self.num_classes))

    def call(self, inputs, training=False):
        h, y = inputs
        one_hot = ops.one_hot(y, self.num_classes, dtype=h.dtype)
        e = self.embedding(one_hot, training=training) if self.spectral_norm else self.embedding(one_hot)
        return ops.sum(e * h, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes, spectral_norm=self.spectral_norm)
        return config


def projection_discriminator(image_shape, features, num_classes: int, spectral_norm=False, name="discriminator"):
    """Miyato & Koyama's D: ``psi(phi(x)) + <embed(y), phi(x)>``.

    Args:
      image_shape: ``(H, W, C)``.
      features: Makes phi(x), a vector per image: a function of the image
        tensor, or a list of layers applied in order.
      num_classes: Labels are 0..num_classes-1.
      spectral_norm: Spectral norm on psi and the class embedding (phi's
        layers are the caller's).
    """
    image = keras.Input(image_shape, name="image")
    y = label_input()
    h = apply(features, image)
    logit = maybe_spectral_norm(layers.Dense(1, name="psi"), spectral_norm)(h)
    return keras.Model(
        [image, y], layers.Add()([logit, ClassProjection(num_classes, spectral_norm)([h, y])]), name=name
    )
