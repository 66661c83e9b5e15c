"""The image GAN's export: its generator as a SavedModel that TF Serving serves as it is.

Versions are written by `tfgan.run.exports.publish` (atomic, integer
versions, metadata.json with ``family: image``). Signatures (batch
dimension always None):

- ``serving_default``: ``z`` float32 [None, latent_dim] -> ``images`` uint8
  [None, H, W, C] in 0..255.
- ``sample``: ``seed`` int64 [None] -> ``images``; row i is a deterministic
  function of seed i (stateless RNG in the graph), z drawn from the
  training distribution.

A class-conditional generator's signatures also take ``label`` int32 [None]
(row i is an image of class label[i]): ``serving_default(z, label)`` and
``sample(seed, label)``. A label outside 0..num_classes-1, or a label batch
whose length differs from z's (seed's), fails the call with
InvalidArgumentError (checked in the graph, not silently clamped);
``metadata.json`` holds ``num_classes``.

The graph holds only standard TensorFlow ops: no py_function, no pickles.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgan.errors import TfganError
from tfgan.families.image.blocks import SQRT3
from tfgan.families.image.conditioning import with_labels
from tfgan.images import to_uint8
from tfgan.run import exports

FAMILY = "image"


def stateless_latent(seeds, latent_dim: int, noise: str) -> tf.Tensor:
    """z [N, latent_dim], row i drawn from `noise` with seed ``(seeds[i], 0)``."""
    seeds = tf.convert_to_tensor(seeds, tf.int64)

    def one(seed):
        pair = tf.stack([seed, tf.constant(0, tf.int64)])
        if noise == "uniform":
            return tf.random.stateless_uniform([latent_dim], pair, minval=-SQRT3, maxval=SQRT3)
        return tf.random.stateless_normal([latent_dim], pair)

    return tf.map_fn(one, seeds, fn_output_signature=tf.TensorSpec([latent_dim], tf.float32))


class _ServableGenerator(tf.Module):
    def __init__(self, generator, latent_dim, noise, value_range):
        super().__init__()
        self.generator = generator
        self._latent_dim, self._noise, self._range = latent_dim, noise, value_range
        self.serving_default = tf.function(
            self._from_z, input_signature=[tf.TensorSpec([None, latent_dim], tf.float32, name="z")]
        )
        self.sample = tf.function(self._from_seed, input_signature=[tf.TensorSpec([None], tf.int64, name="seed")])

    def _from_z(self, z):
        return {"images": to_uint8(self.generator(z, training=False), self._range)}

    def _from_seed(self, seed):
        return self._from_z(stateless_latent(seed, self._latent_dim, self._noise))


class _ServableConditionalGenerator(tf.Module):
    def __init__(self, generator, latent_dim, noise, value_range, num_classes):
        super().__init__()
        self.generator = generator
        self._latent_dim, self._noise, self._range = latent_dim, noise, value_range
        self._num_classes = num_classes
        label = tf.TensorSpec([None], tf.int32, name="label")
        self.serving_default = tf.function(
            self._from_z, input_signature=[tf.TensorSpec([None, latent_dim], tf.float32, name="z"), label]
        )
        self.sample = tf.function(
            self._from_seed, input_signature=[tf.TensorSpec([None], tf.int64, name="seed"), label]
        )

    def _from_z(self, z, label):
        checks = [
            tf.debugging.assert_equal(
                tf.shape(label)[0], tf.shape(z)[0], message="label and z (seed) must have the same length"
            ),
            tf.debugging.assert_non_negative(label, message="label must be >= 0"),
            tf.debugging.assert_less(
                label, tf.constant(self._num_classes, tf.int32), message=f"label must be < {self._num_classes}"
            ),
        ]
        with tf.control_dependencies(checks):
            label = tf.identity(label)
        return {"images": to_uint8(self.generator([z, label], training=False), self._range)}

    def _from_seed(self, seed, label):
        return self._from_z(stateless_latent(seed, self._latent_dim, self._noise), label)


def check_finite(generator, latent_dim: int, noise: str, n: int = 16, seed: int = 0, num_classes=None) -> None:
    """Refuses a generator whose samples hold NaN or infinity.

    Raises:
      TfganError: If any output value is not finite.
    """
    z = stateless_latent(tf.range(seed, seed + n, dtype=tf.int64), latent_dim, noise)
    labels = None if not num_classes else tf.range(n, dtype=tf.int32) % num_classes
    out = generator(with_labels(z, labels), training=False)
    if not bool(tf.reduce_all(tf.math.is_finite(out))):
        raise TfganError(
            "the generator produces NaN or infinite values; it is not exported. Resume from an earlier "
            "checkpoint (--checkpoint=...) or lower the learning rate."
        )


def write_generator(
    generator, staging_dir: str, *, latent_dim: int, noise: str, value_range, metadata=None, num_classes=None
) -> dict:
    """Writes the generator's SavedModel into `staging_dir`; returns its metadata.json facts.

    `tfgan.run.exports.publish` calls this with an empty staging directory
    and makes it a version atomically (`export_generator` does both).

    Args:
      generator: A Keras model z -> images in `value_range`.
      staging_dir: An empty directory.
      latent_dim: Size of z.
      noise: ``"uniform"`` or ``"normal"``, the training latent distribution.
      value_range: ``(low, high)`` of the generator's output.
      metadata: Extra JSON-serialisable facts for ``metadata.json``.
      num_classes: A class-conditional generator (``[z, label] -> images``)
        for labels 0..num_classes-1: the signatures take ``label``.

    Raises:
      TfganError: The generator's output is not finite.
    """
    check_finite(generator, latent_dim, noise, num_classes=num_classes)
    if num_classes:
        module = _ServableConditionalGenerator(generator, latent_dim, noise, value_range, num_classes)
    else:
        module = _ServableGenerator(generator, latent_dim, noise, value_range)
    tf.saved_model.save(
        module,
        staging_dir,
        signatures={"serving_default": module.serving_default, "sample": module.sample},
    )
    image_shape = [int(d) for d in generator.output_shape[1:]]
    info = {
        "latent_dim": latent_dim,
        "noise": noise,
        "image_shape": image_shape,
        "signatures": {
            "serving_default": {
                "inputs": {"z": ["float32", [None, latent_dim]]},
                "outputs": {"images": ["uint8", [None, *image_shape]]},
            },
            "sample": {
                "inputs": {"seed": ["int64", [None]]},
                "outputs": {"images": ["uint8", [None, *image_shape]]},
            },
        },
        **(metadata or {}),
    }
    if num_classes:
        info["num_classes"] = num_classes
        for signature in info["signatures"].values():
            signature["inputs"]["label"] = ["int32", [None]]
    return info


def export_generator(generator, export_base: str, **options) -> str:
    """Writes the generator as a new SavedModel version under `export_base`.

    Args:
      generator: A Keras model z -> images.
      export_base: The directory TF Serving watches (versions inside).
      **options: Those of `write_generator` (latent_dim, noise,
        value_range, metadata, num_classes).

    Returns:
      The path of the new version directory.

    Raises:
      TfganError: The generator's output is not finite, or the target
        cannot be written; nothing is left behind then.
    """
    return exports.publish(export_base, lambda staging: write_generator(generator, staging, **options), family=FAMILY)


def sample_images(export_dir: str, seeds, labels=None) -> np.ndarray:
    """Runs the `sample` signature of an export: uint8 [len(seeds), H, W, C].

    Args:
      export_dir: An export version directory.
      seeds: int64 [N].
      labels: int32 [N] classes, for a conditional export (required there;
        refused for an unconditional one).

    Raises:
      TfganError: Labels missing for a conditional export, given to an
        unconditional one, or out of range.
    """
    classes = exports.load_metadata(export_dir).get("num_classes")
    if classes and labels is None:
        raise TfganError(f"{export_dir} is a conditional generator of {classes} classes: give labels (--label).")
    if not classes and labels is not None:
        raise TfganError(f"{export_dir} is not a conditional generator; it takes no labels (drop --label).")
    seed = tf.constant(np.asarray(seeds, np.int64))
    sample = tf.saved_model.load(export_dir).signatures["sample"]
    if labels is None:
        return sample(seed=seed)["images"].numpy()
    labels = np.asarray(labels, np.int32)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise TfganError(f"labels must be in 0..{classes - 1} for {export_dir}, got {sorted(set(labels.tolist()))}.")
    return sample(seed=seed, label=tf.constant(labels))["images"].numpy()
