"""The image GAN under `tf.distribute`: its networks and optimisers prepared, its stream laid out for the step."""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from tfgan import distribute


def distributed(dataset: tf.data.Dataset, strategy: tf.distribute.Strategy) -> tf.data.Dataset:
    """The training stream laid out for `strategy` (identity for a single replica).

    `tf.distribute` splits an element's first axis over the replicas, but
    `pipelines.make_train_dataset` puts the k minibatches of a step first
    (``{"image": [k, B, ...], "label": [k, B]}``). With more than one
    replica the element becomes the images alone, ``[B, k, ...]``
    (`step_images` turns it back), so each replica gets ``B / replicas``
    images of each of the k minibatches. (The labels are dropped: the GAN
    does not use them, and Keras' multi-worker `fit` cannot reduce a dict
    element when it probes the data.) Workers shard by data, not files:
    every worker builds the same seeded stream and keeps its replicas'
    slices of each global batch.
    """
    if not distribute.is_distributed(strategy):
        return dataset
    dataset = dataset.map(
        lambda d: tf.experimental.numpy.swapaxes(d["image"], 0, 1), num_parallel_calls=tf.data.AUTOTUNE
    )
    return distribute.shard_by_data(dataset)


def step_images(data):
    """The k real minibatches [k, B, H, W, C] of a train step's input.

    Args:
      data: A `pipelines.make_train_dataset` element, or (under replicas)
        a `distributed` element: this replica's images [B, k, ...].
    """
    if isinstance(data, dict):
        return data["image"]
    return ops.swapaxes(data, 0, 1)


def prepare_gan(gan, strategy: tf.distribute.Strategy, *, sync_batchnorm: bool = False) -> None:
    """`tfgan.distribute.prepare` for a compiled `GAN`'s two networks and two optimisers."""
    distribute.prepare(
        [gan.generator, gan.discriminator],
        [gan.d_optimizer, gan.g_optimizer],
        strategy,
        sync_batchnorm=sync_batchnorm,
    )
