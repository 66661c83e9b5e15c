"""The StyleGAN2 family's export: its generator as a SavedModel that needs neither tfgan nor Keras to run.

Versions are written by `tfgan.run.exports.publish` (atomic integer
versions, metadata.json with ``family: stylegan``). Signatures (batch
dimension always None; images uint8 [None, S, S, C] in 0..255):

- ``serving_default``: ``z`` float32 [None, latent_dim] -> ``images``
  (no truncation).
- ``sample``: ``seed`` int64 [None], ``truncation`` float32 [] ->
  ``images``; row i is a deterministic function of seed i (z ~ N(0, I)
  from a stateless RNG in the graph), its w moved towards the mean w by
  ``truncation`` (1: none, 0: the mean image; StyleGAN sec. 4 uses 0.5-0.7).
- ``synthesize``: ``w_plus`` float32 [None, num_ws, w_dim] -> ``images``:
  the synthesis network alone, for codes made elsewhere (an encoder's,
  a style mix, an edit).
- ``mapping``: ``z``, ``truncation`` -> ``w_plus`` float32 [None, num_ws,
  w_dim]: the codes ``sample`` and ``serving_default`` draw, the same
  w in every row.

The noise inputs are the fixed noise images stored in the weights
(`tfgan.families.stylegan.networks.StyledConv` at ``training=False``), so
every output is reproducible. metadata.json records the W+ layout
(``num_ws``, ``layers``: resolution -> W+ rows and layer names).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgan.errors import TfganError
from tfgan.families.image.export import stateless_latent
from tfgan.images import to_uint8
from tfgan.run import exports

FAMILY = "stylegan"
EXPORT_NAME = "generator"
# The synthesis network's output range: the data's, pixel 0 -> -1, 255 -> 1.
VALUE_RANGE = (-1.0, 1.0)


def latent(seeds, latent_dim: int) -> tf.Tensor:
    """z [N, latent_dim] ~ N(0, I), row i from seed ``(seeds[i], 0)``: the ``sample`` signature's."""
    return stateless_latent(seeds, latent_dim, "normal")


class ServableGenerator(tf.Module):
    """The exported module: mapping, synthesis and the mean w, with the signatures above."""

    def __init__(self, mapping, synthesis, w_avg, *, latent_dim: int, num_ws: int, w_dim: int):
        super().__init__()
        self.mapping, self.synthesis = mapping, synthesis
        # A copy: the export holds the mean w of the moment it was written.
        self.w_avg = tf.Variable(tf.convert_to_tensor(w_avg), trainable=False, name="w_avg")
        self._latent_dim, self._num_ws = latent_dim, num_ws
        z = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
        psi = tf.TensorSpec([], tf.float32, name="truncation")
        self.serving_default = tf.function(self._from_z, input_signature=[z])
        self.sample = tf.function(self._from_seed, input_signature=[tf.TensorSpec([None], tf.int64, name="seed"), psi])
        self.synthesize = tf.function(
            self._from_w_plus, input_signature=[tf.TensorSpec([None, num_ws, w_dim], tf.float32, name="w_plus")]
        )
        self.map_z = tf.function(self._w_plus, input_signature=[z, psi])

    def _codes(self, z, truncation):
        w = self.mapping(z, training=False)
        w = self.w_avg + truncation * (w - self.w_avg)
        return tf.repeat(w[:, None, :], self._num_ws, axis=1)

    def _w_plus(self, z, truncation):
        return {"w_plus": self._codes(z, truncation)}

    def _from_w_plus(self, w_plus):
        return {"images": to_uint8(self.synthesis(w_plus, training=False), VALUE_RANGE)}

    def _from_z(self, z):
        return self._from_w_plus(self._codes(z, tf.constant(1.0)))

    def _from_seed(self, seed, truncation):
        return self._from_w_plus(self._codes(latent(seed, self._latent_dim), truncation))

    def signatures(self) -> dict:
        return {
            "serving_default": self.serving_default,
            "sample": self.sample,
            "synthesize": self.synthesize,
            "mapping": self.map_z,
        }


def check_finite(module: ServableGenerator, n: int = 8) -> None:
    """Refuses a generator whose images hold NaN or infinity.

    Raises:
      TfganError: If any output value is not finite.
    """
    z = latent(tf.range(n, dtype=tf.int64), module._latent_dim)
    out = module.synthesis(module._codes(z, tf.constant(1.0)), training=False)
    if not bool(tf.reduce_all(tf.math.is_finite(out))):
        raise TfganError(
            "the generator produces NaN or infinite values; it is not exported. Resume from an earlier "
            "checkpoint (--checkpoint=...) or lower --lr."
        )


def write_generator(
    mapping, synthesis, w_avg, staging_dir: str, *, latent_dim: int, num_ws: int, layers: dict, metadata=None
) -> dict:
    """Writes the SavedModel into `staging_dir`; returns its metadata.json facts.

    Args:
      mapping: z -> w (the EMA copy when kept).
      synthesis: W+ -> images in `VALUE_RANGE`.
      w_avg: The mean w [w_dim] (the truncation centre).
      staging_dir: An empty directory (`tfgan.run.exports.publish`'s).
      latent_dim, num_ws: The code sizes.
      layers: Resolution -> W+ rows and layer names
        (`tfgan.families.stylegan.synthesis.layer_map`).
      metadata: Extra JSON-serialisable facts.

    Raises:
      TfganError: The generator's output is not finite.
    """
    w_dim = int(mapping.output_shape[-1])
    module = ServableGenerator(mapping, synthesis, w_avg, latent_dim=latent_dim, num_ws=num_ws, w_dim=w_dim)
    check_finite(module)
    tf.saved_model.save(module, staging_dir, signatures=module.signatures())
    image_shape = [int(d) for d in synthesis.output_shape[1:]]
    images = {"images": ["uint8", [None, *image_shape]]}
    return {
        "image_size": image_shape[0],
        "channels": image_shape[2],
        "latent_dim": latent_dim,
        "w_dim": w_dim,
        "num_ws": num_ws,
        "layers": layers,
        "noise": "normal",
        "value_range": list(VALUE_RANGE),
        "signatures": {
            "serving_default": {"inputs": {"z": ["float32", [None, latent_dim]]}, "outputs": images},
            "sample": {"inputs": {"seed": ["int64", [None]], "truncation": ["float32", []]}, "outputs": images},
            "synthesize": {"inputs": {"w_plus": ["float32", [None, num_ws, w_dim]]}, "outputs": images},
            "mapping": {
                "inputs": {"z": ["float32", [None, latent_dim]], "truncation": ["float32", []]},
                "outputs": {"w_plus": ["float32", [None, num_ws, w_dim]]},
            },
        },
        **(metadata or {}),
    }


def sample_images(export_dir: str, seeds, truncation: float = 1.0, batch: int = 256) -> np.ndarray:
    """Runs the ``sample`` signature of an export: uint8 [len(seeds), S, S, C], `batch` images per call."""
    sample = tf.saved_model.load(export_dir).signatures["sample"]
    seeds = np.asarray(seeds, np.int64)
    psi = tf.constant(truncation, tf.float32)
    parts = [
        sample(seed=tf.constant(seeds[i : i + batch]), truncation=psi)["images"].numpy()
        for i in range(0, len(seeds), batch)
    ]
    return np.concatenate(parts)


def is_export(path: str) -> bool:
    """Whether `path` is an export version or a base holding versions."""
    try:
        exports.latest_version(path)
    except TfganError:
        return False
    return True
