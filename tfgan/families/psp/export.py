"""The pSp encoder's export: encoder, the generator it inverts and its mean w, as one SavedModel.

``export/encoder/<version>/`` (versions by `tfgan.run.exports.publish`,
metadata.json with ``family: psp``), standard TensorFlow ops only (it loads
without tfgan or Keras). Signatures, batch dimension None:

- ``encode``: ``images`` uint8 [N, H, W, C], any H, W > 0 and C in 1..4
  (grey, grey+alpha, RGB, RGBA: converted to the generator's channels as
  the translator export does, alpha dropped), resized (bilinear,
  antialiased) to the generator's size S -> ``w_plus`` float32
  [N, num_ws, w_dim]: the encoder's offsets plus the mean w.
- ``serving_default`` (= ``reconstruct``): the same ``images`` ->
  ``images`` uint8 [N, S, S, channels]: the generator's picture of that
  code (its fixed noise), at the generator's size.

metadata.json: ``num_ws``, ``w_dim``, ``image_size``, ``channels``, the
encoder's widths (to rebuild it, `load_encoder`) and ``generator``: the
path, W-space sizes and ``--init_from`` lineage of the generator it was
trained against.
"""

from __future__ import annotations

import dataclasses
import os

import keras
import numpy as np
import tensorflow as tf

from tfgan.errors import ConfigError
from tfgan.families.psp import networks
from tfgan.families.psp.params import SHAPE_FIELDS
from tfgan.families.stylegan.export import VALUE_RANGE
from tfgan.families.translation.export import model_colour
from tfgan.images import to_uint8
from tfgan.run import checkpoints, exports

FAMILY = "psp"
EXPORT_NAME = "encoder"
# What rebuilds the encoder from metadata.json (`load_encoder`).
# What rebuilds the encoder from metadata.json: the fields its variables' shapes depend on.
ENCODER_FIELDS = SHAPE_FIELDS


def prepare(images, image_size: int, channels: int):
    """uint8 [N, H, W, 1..4] -> float32 [N, S, S, channels] in [-1, 1] (the encoder's input)."""
    images = tf.convert_to_tensor(images, tf.uint8)
    shape = tf.shape(images)
    checks = [
        tf.debugging.assert_greater(shape[1] * shape[2], 0, message="the image has zero height or width"),
        tf.debugging.assert_less_equal(shape[3], 4, message="images must have 1 to 4 channels"),
        tf.debugging.assert_greater(shape[3], 0, message="images must have 1 to 4 channels, got 0"),
    ]
    with tf.control_dependencies(checks):
        x = tf.cast(images, tf.float32) / 127.5 - 1.0
    x = model_colour(x, channels)
    return tf.image.resize(x, [image_size, image_size], method="bilinear", antialias=True)


class ServableEncoder(tf.Module):
    """The exported module: ``encoder``, ``synthesis`` and ``w_avg`` (these names are its checkpoint's)."""

    def __init__(self, encoder, synthesis, w_avg, *, image_size: int, channels: int):
        super().__init__(name="psp")
        self.encoder, self.synthesis = encoder, synthesis
        self.w_avg = tf.Variable(tf.convert_to_tensor(w_avg), trainable=False, name="w_avg")
        self._size, self._channels = int(image_size), int(channels)
        images = tf.TensorSpec([None, None, None, None], tf.uint8, name="images")
        self.encode = tf.function(self._encode, input_signature=[images], autograph=False)
        self.reconstruct = tf.function(self._reconstruct, input_signature=[images], autograph=False)

    def w_plus(self, images):
        x = prepare(images, self._size, self._channels)
        return self.encoder(x, training=False) + self.w_avg

    def _encode(self, images):
        return {"w_plus": self.w_plus(images)}

    def _reconstruct(self, images):
        return {"images": to_uint8(self.synthesis(self.w_plus(images), training=False), VALUE_RANGE)}

    def signatures(self) -> dict:
        return {"serving_default": self.reconstruct, "reconstruct": self.reconstruct, "encode": self.encode}


def write_encoder(staging_dir: str, encoder, synthesis, w_avg, *, params, facts: dict) -> dict:
    """Writes the SavedModel into `staging_dir`; returns its metadata.json facts.

    Args:
      staging_dir: An empty directory (`tfgan.run.exports.publish`'s).
      encoder: images in [-1, 1] -> W+ offsets.
      synthesis: The frozen generator's synthesis network.
      w_avg: Its mean w [w_dim].
      params: The resolved `PSPParams`.
      facts: Extra facts (the generator's, the step, the data).
    """
    module = ServableEncoder(encoder, synthesis, w_avg, image_size=params.image_size, channels=params.channels)
    tf.saved_model.save(module, staging_dir, signatures=module.signatures())
    images = ["uint8", [None, None, None, None]]
    out = ["uint8", [None, params.image_size, params.image_size, params.channels]]
    return {
        **{name: getattr(params, name) for name in ENCODER_FIELDS},
        "value_range": list(VALUE_RANGE),
        "signatures": {
            "encode": {
                "inputs": {"images": images},
                "outputs": {"w_plus": ["float32", [None, params.num_ws, params.w_dim]]},
            },
            "serving_default": {"inputs": {"images": images}, "outputs": {"images": out}},
            "reconstruct": {"inputs": {"images": images}, "outputs": {"images": out}},
        },
        **facts,
    }


@dataclasses.dataclass
class Encoder:
    """A trained pSp encoder as Keras networks (for building other exports from it).

    Attributes:
      encoder: images [N, S, S, C] in [-1, 1] -> W+ offsets.
      w_avg: float32 [w_dim]: the mean w the offsets are added to.
      meta: Its metadata.json (``generator`` says what it was trained against).
      path: The export version read.
    """

    encoder: keras.Model
    w_avg: np.ndarray
    meta: dict
    path: str

    def encode(self, images):
        """W+ of float images [N, S, S, C] in [-1, 1]."""
        return self.encoder(images, training=False) + self.w_avg


def load_encoder(path: str, role: str = "--encoder") -> Encoder:
    """The encoder of a pSp export (``export/encoder`` or a version in it), rebuilt and read.

    Raises:
      ConfigError: Missing, not a pSp export, or unreadable.
    """
    version, meta = exports.family_export(path, FAMILY, "a pSp encoder export (<run>/export/encoder)", role)
    enc = networks.encoder_network(
        meta["image_size"],
        meta["channels"],
        num_ws=meta["num_ws"],
        w_dim=meta["w_dim"],
        width=meta["encoder_width"],
        width_max=meta["encoder_max"],
        blocks=meta["encoder_blocks"],
        backbone=meta.get("backbone", "small"),  # exports before IR-SE50 have the small one
    )
    w_avg = tf.Variable(tf.zeros([meta["w_dim"]]))
    try:
        status = tf.train.Checkpoint(encoder=enc, w_avg=w_avg).read(os.path.join(version, "variables", "variables"))
        status.assert_existing_objects_matched().expect_partial()
    except checkpoints.RESTORE_ERRORS as e:
        raise ConfigError(f"{role}={path}: cannot read the export {version}: {str(e).splitlines()[0]}") from e
    enc.trainable = False
    return Encoder(enc, w_avg.numpy(), meta, version)


def encode_images(export_dir: str, images, batch: int = 256) -> np.ndarray:
    """Runs an export's ``encode``: uint8 [N, H, W, C] -> float32 [N, num_ws, w_dim]."""
    sig = tf.saved_model.load(export_dir).signatures["encode"]
    return np.concatenate(
        [sig(images=tf.constant(images[i : i + batch]))["w_plus"].numpy() for i in range(0, len(images), batch)]
    )
