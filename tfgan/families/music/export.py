"""The music family's SavedModel: piano-rolls out, loadable with TensorFlow alone.

Signatures (batch dimension always None; rolls are uint8 0/1
``[N, bars, steps, pitches, tracks]``, key ``pianoroll``):

- unconditional model: ``serving_default(<noise inputs>)`` with the inputs
  named and shaped as ``metadata["latents"]`` says (``z``, ``z_temporal``,
  ``z_tracks``, ``z_tracks_temporal``: float32 standard normal), output
  binarised at the range's midpoint; ``sample(seed)``: ``seed`` int64 [N],
  row i a deterministic function of seed i (stateless RNG in the graph),
  binarised as the model's ``binarize`` says (threshold, or Bernoulli
  draws from seed i).
- conditional (accompaniment) model: ``serving_default(<noise inputs>,
  condition)`` and ``accompany(condition, seed)``, where ``condition`` is
  uint8 0/1 [N, bars, steps, pitches, len(condition_tracks)]: the given
  tracks, in ``metadata["condition_tracks"]`` order; the output holds all
  tracks, the given ones unchanged.

``metadata.json`` records what a client needs to write MIDI without tfgan:
``steps_per_bar``, ``beats_per_bar`` (4), ``bars``, ``lowest_pitch``,
``num_pitches``, ``track_names``, ``programs``, ``drums``, ``tempo`` and
``velocity``, with the signatures' inputs and outputs.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import tensorflow as tf

from tfgan.errors import TfganError
from tfgan.families.music import networks
from tfgan.families.music.params import MusicParams
from tfgan.fileio import atomic_write
from tfgan.run import exports

FAMILY = "music"
METADATA_FILE = exports.METADATA_FILE


def stateless_latents(seeds, shapes: dict, salt: int = 0) -> dict:
    """Noise {name: [N, *shape]}: row i drawn from N(0, 1) with the stateless seed ``(seeds[i], salt)``."""
    seeds = tf.convert_to_tensor(seeds, tf.int64)
    sizes = [math.prod(shape) for shape in shapes.values()]
    total = sum(sizes)

    def one(seed):
        return tf.random.stateless_normal([total], tf.stack([seed, tf.constant(salt, tf.int64)]))

    flat = tf.map_fn(one, seeds, fn_output_signature=tf.TensorSpec([total], tf.float32))
    out, start = {}, 0
    for (name, shape), size in zip(shapes.items(), sizes, strict=True):
        out[name] = tf.reshape(flat[:, start : start + size], [-1, *shape])
        start += size
    return out


class _ServableMuseGAN(tf.Module):
    def __init__(self, generator, params: MusicParams):
        super().__init__()
        self.generator = generator
        self._p = params
        self._shapes = networks.latent_shapes(params)
        self._low, self._high = params.value_range
        noise = [tf.TensorSpec([None, *shape], tf.float32, name=name) for name, shape in self._shapes.items()]
        names = list(self._shapes)
        seed = tf.TensorSpec([None], tf.int64, name="seed")
        if params.condition_tracks:
            bars, steps, pitches, _ = params.shape
            cond = tf.TensorSpec([None, bars, steps, pitches, len(params.condition_tracks)], tf.uint8, name="condition")

            def from_z(*args):
                return self._generate(dict(zip(names, args[:-1], strict=True)), args[-1])

            self.serving_default = tf.function(from_z, input_signature=[*noise, cond])
            self.accompany = tf.function(self._accompany, input_signature=[cond, seed])
        else:

            def from_z(*args):
                return self._generate(dict(zip(names, args, strict=True)))

            self.serving_default = tf.function(from_z, input_signature=noise)
            self.sample = tf.function(self._sample, input_signature=[seed])

    def signatures(self) -> dict:
        if self._p.condition_tracks:
            return {"serving_default": self.serving_default, "accompany": self.accompany}
        return {"serving_default": self.serving_default, "sample": self.sample}

    def _raw(self, latents, condition=None):
        inputs = dict(latents)
        if condition is not None:
            tf.debugging.assert_equal(
                tf.shape(condition)[0],
                tf.shape(next(iter(latents.values())))[0],
                message="condition and noise/seed lengths differ",
            )
            inputs["condition"] = tf.cast(condition, tf.float32) * (self._high - self._low) + self._low
        return tf.cast(self.generator(inputs, training=False), tf.float32)

    def _threshold(self, raw):
        return tf.cast(raw > (self._low + self._high) / 2, tf.uint8)

    def _generate(self, latents, condition=None):
        return {"pianoroll": self._threshold(self._raw(latents, condition))}

    def _binarize_seeded(self, raw, seed):
        if self._p.binarize != "bernoulli":
            return self._threshold(raw)
        prob = (raw - self._low) / (self._high - self._low)

        def one(args):
            row, s = args
            u = tf.random.stateless_uniform(tf.shape(row), tf.stack([s, tf.constant(1, tf.int64)]))
            return tf.cast(u < row, tf.uint8)

        return tf.map_fn(one, (prob, seed), fn_output_signature=tf.TensorSpec(prob.shape[1:], tf.uint8))

    def _sample(self, seed):
        return {"pianoroll": self._binarize_seeded(self._raw(stateless_latents(seed, self._shapes)), seed)}

    def _accompany(self, condition, seed):
        raw = self._raw(stateless_latents(seed, self._shapes), condition)
        return {"pianoroll": self._binarize_seeded(raw, seed)}


def metadata(params: MusicParams) -> dict:
    """The facts of an export of `params`' generator (metadata.json, without ``version``)."""
    roll = ["uint8", [None, *params.shape]]
    latents = {name: ["float32", [None, *shape]] for name, shape in networks.latent_shapes(params).items()}
    if params.condition_tracks:
        cond = ["uint8", [None, params.bars, params.steps_per_bar, params.num_pitches, len(params.condition_tracks)]]
        signatures = {
            "serving_default": {"inputs": {**latents, "condition": cond}, "outputs": {"pianoroll": roll}},
            "accompany": {"inputs": {"condition": cond, "seed": ["int64", [None]]}, "outputs": {"pianoroll": roll}},
        }
    else:
        signatures = {
            "serving_default": {"inputs": latents, "outputs": {"pianoroll": roll}},
            "sample": {"inputs": {"seed": ["int64", [None]]}, "outputs": {"pianoroll": roll}},
        }
    return {
        "family": FAMILY,
        "model": params.model,
        "pianoroll_axes": ["batch", "bars", "steps", "pitches", "tracks"],
        "bars": params.bars,
        "steps_per_bar": params.steps_per_bar,
        "beats_per_bar": 4,
        "lowest_pitch": params.lowest_pitch,
        "num_pitches": params.num_pitches,
        "track_names": list(params.track_names),
        "programs": list(params.programs),
        "drums": list(params.drum_flags),
        "condition_tracks": list(params.condition_tracks),
        "tempo": params.tempo,
        "velocity": params.velocity,
        "binarize": params.binarize,
        "data": params.data,
        "track_match": list(params.track_match) if params.track_match else None,
        "latents": {name: list(shape) for name, shape in networks.latent_shapes(params).items()},
        "signatures": signatures,
    }


def check_finite(generator, params: MusicParams, n: int = 4) -> None:
    """Refuses a generator whose output holds NaN or infinity.

    Raises:
      TfganError: Some output value is not finite.
    """
    inputs = stateless_latents(tf.range(n, dtype=tf.int64), networks.latent_shapes(params))
    if params.condition_tracks:
        inputs["condition"] = tf.zeros([n, *params.shape[:3], len(params.condition_tracks)])
    if not bool(tf.reduce_all(tf.math.is_finite(tf.cast(generator(inputs, training=False), tf.float32)))):
        raise TfganError(
            "the generator produces NaN or infinite values; it is not exported. Resume from an earlier checkpoint "
            "or lower --learning_rate."
        )


def save(staging_dir: str, generator, params: MusicParams) -> dict:
    """Writes the SavedModel of `generator` into `staging_dir` and returns its metadata facts.

    Raises:
      TfganError: The generator's output is not finite.
    """
    check_finite(generator, params)
    module = _ServableMuseGAN(generator, params)
    tf.saved_model.save(module, staging_dir, signatures=module.signatures())
    return metadata(params)


def save_with_metadata(directory: str, generator, params: MusicParams) -> str:
    """`save` plus ``metadata.json`` in `directory` (a complete export version). Returns `directory`."""
    info = save(directory, generator, params)
    atomic_write(os.path.join(directory, METADATA_FILE), json.dumps(info, indent=2, sort_keys=True) + "\n")
    return directory


def load_metadata(export_dir: str) -> dict:
    """metadata.json of a music export.

    Raises:
      TfganError: Not an export, or not one of the music family.
    """
    info = exports.load_metadata(export_dir)
    if info.get("family") != FAMILY:
        raise TfganError(f"{export_dir} is a {info.get('family', 'image')} export, not a music (MuseGAN) one.")
    return info


def sample_pianorolls(export_dir: str, seeds, condition=None) -> np.ndarray:
    """uint8 [len(seeds), bars, steps, pitches, tracks] from an export's ``sample`` (or ``accompany``) signature.

    Args:
      seeds: int [N].
      condition: For a conditional export: uint8 0/1 [N, bars, steps,
        pitches, len(condition_tracks)], the given tracks.

    Raises:
      TfganError: A condition missing for a conditional export, given to an
        unconditional one, or of the wrong shape.
    """
    info = load_metadata(export_dir)
    seed = tf.constant(np.asarray(seeds, np.int64))
    module = tf.saved_model.load(export_dir)
    given = info["condition_tracks"]
    if not given:
        if condition is not None:
            raise TfganError(f"{export_dir} is not an accompaniment model; it takes no given tracks.")
        return module.signatures["sample"](seed=seed)["pianoroll"].numpy()
    want = (len(seeds), info["bars"], info["steps_per_bar"], info["num_pitches"], len(given))
    if condition is None:
        raise TfganError(f"{export_dir} accompanies given tracks ({', '.join(given)}): pass them (shape {list(want)}).")
    condition = np.asarray(condition)
    if condition.shape != want:
        raise TfganError(
            f"the given tracks must have shape {list(want)} ({', '.join(given)}), got {list(condition.shape)}."
        )
    return module.signatures["accompany"](condition=tf.constant(condition.astype(np.uint8)), seed=seed)[
        "pianoroll"
    ].numpy()
