"""The StyleGAN2 generator an encoder inverts, loaded from a run or an export, and its W space's facts.

pSp keeps its generator fixed (``--train_decoder=False``, its default):
`load_generator` builds the StyleGAN2 family's networks
(`tfgan.families.stylegan.trainer.build_networks`) and reads the weights
into them, the EMA copies when the run keeps them (what the StyleGAN2
export serves), then marks them not trainable.
"""

from __future__ import annotations

import dataclasses
import json
import os

import keras
import numpy as np
import tensorflow as tf

from tfgan import flagsgen
from tfgan.errors import ConfigError, TfganError
from tfgan.families.stylegan import export as stylegan_export
from tfgan.families.stylegan import synthesis as synthesis_lib
from tfgan.families.stylegan import trainer as stylegan_trainer
from tfgan.families.stylegan.params import StyleGANParams
from tfgan.run import checkpoints, exports


@dataclasses.dataclass
class Generator:
    """A frozen StyleGAN2 generator.

    Attributes:
      mapping: z -> w (not trainable).
      synthesis: W+ -> images in [-1, 1] (not trainable; call it with
        ``training=False``: the fixed noise images).
      w_avg: float32 [w_dim], the mean w (the truncation centre).
      params: The StyleGAN2 parameters it was built from.
      path: The run directory or export version read.
      lineage: `path` and the ``--init_from`` sources it descends from
        (run directories or exports, as absolute paths), nearest first.
    """

    mapping: keras.Model
    synthesis: keras.Model
    w_avg: np.ndarray
    params: StyleGANParams
    path: str
    lineage: tuple[str, ...]

    @property
    def image_size(self) -> int:
        return self.params.image_size

    @property
    def channels(self) -> int:
        return self.params.channels

    @property
    def num_ws(self) -> int:
        return synthesis_lib.num_ws(self.params.image_size)

    @property
    def w_dim(self) -> int:
        return self.params.w_dim

    def facts(self) -> dict:
        """What metadata.json records of it."""
        return {
            "path": self.path,
            "image_size": self.image_size,
            "channels": self.channels,
            "num_ws": self.num_ws,
            "w_dim": self.w_dim,
            "latent_dim": self.params.latent_dim,
            "lineage": list(self.lineage),
        }


def _params_of_export(meta: dict) -> StyleGANParams:
    names = {f.name for f in dataclasses.fields(StyleGANParams)}
    return StyleGANParams(**{k: v for k, v in meta.items() if k in names and k not in ("init_from",)})


def _lineage(path: str, init_from: str | None) -> tuple[str, ...]:
    """`path` then its ``--init_from`` chain (each source's own config or metadata), without cycles."""
    chain, seen = [os.path.abspath(path)], {os.path.abspath(path)}
    while init_from:
        source = os.path.abspath(init_from)
        if source in seen:
            break
        chain.append(source)
        seen.add(source)
        init_from = _init_from_of(source)
    return tuple(chain)


def _init_from_of(path: str) -> str | None:
    try:
        if os.path.isfile(os.path.join(path, "config.json")):
            with open(os.path.join(path, "config.json")) as f:
                return json.load(f).get("init_from")
        return exports.load_metadata(exports.latest_version(path)).get("init_from")
    except (OSError, ValueError, TfganError):
        return None  # a source that has gone or is unreadable: the chain ends there


def _freeze(nets) -> None:
    for net in nets:
        net.trainable = False


def _from_run(path: str, role: str) -> Generator:
    # config.json read here, not with tfgan.config (which imports the family registry, and so this module).
    try:
        with open(os.path.join(path, "config.json")) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ConfigError(f"{role}={path}: cannot read its config.json ({e}); is it a tfgan run directory?") from e
    family = data.get("family", "image") if isinstance(data, dict) else "unknown"
    if family != "stylegan":
        raise ConfigError(f"{role}={path} is a {family} run, not a StyleGAN2 one.")
    fields = {f.name for f in dataclasses.fields(StyleGANParams)}
    params = flagsgen.build(StyleGANParams, {k: v for k, v in data.items() if k in fields}, what=f"{role}={path}")
    ckpt = tf.train.latest_checkpoint(os.path.join(path, "checkpoints"))
    if ckpt is None:
        raise ConfigError(f"{role}={path} has no checkpoint yet; train it first or give its export.")
    nets = stylegan_trainer.build_networks(params)
    w_avg = tf.Variable(tf.zeros([params.w_dim]))
    # The EMA generator when the run keeps one: the one its export serves.
    prefix = "ema_" if params.ema_decay and checkpoints.checkpoint_has(ckpt, "ema_mapping") else ""
    objects = {f"{prefix}mapping": nets.mapping, f"{prefix}synthesis": nets.synthesis, "w_avg": w_avg}
    try:
        tf.train.Checkpoint(**objects).restore(ckpt).assert_existing_objects_matched().expect_partial()
    except checkpoints.RESTORE_ERRORS as e:
        raise ConfigError(f"{role}={path}: cannot read {ckpt}: {str(e).splitlines()[0]}") from e
    _freeze((nets.mapping, nets.synthesis))
    return Generator(
        nets.mapping, nets.synthesis, w_avg.numpy(), params, os.path.abspath(path), _lineage(path, params.init_from)
    )


def _from_export(path: str, role: str) -> Generator:
    version = exports.latest_version(path)
    meta = exports.load_metadata(version)
    if meta.get("family") != "stylegan":
        raise ConfigError(
            f"{role}={path} is a {meta.get('family')} export, not a StyleGAN2 generator (export/generator)."
        )
    params = _params_of_export(meta)
    nets = stylegan_trainer.build_networks(params)
    w_avg = tf.Variable(tf.zeros([params.w_dim]))
    try:
        # The SavedModel's variables are a checkpoint of `ServableGenerator`, whose children have these names.
        status = tf.train.Checkpoint(mapping=nets.mapping, synthesis=nets.synthesis, w_avg=w_avg).read(
            os.path.join(version, "variables", "variables")
        )
        status.assert_existing_objects_matched().expect_partial()
    except checkpoints.RESTORE_ERRORS as e:
        raise ConfigError(f"{role}={path}: cannot read the export {version}: {str(e).splitlines()[0]}") from e
    _freeze((nets.mapping, nets.synthesis))
    return Generator(
        nets.mapping,
        nets.synthesis,
        w_avg.numpy(),
        params,
        os.path.abspath(version),
        _lineage(version, meta.get("init_from")),
    )


def load_generator(path: str | None, role: str = "--generator") -> Generator:
    """The frozen StyleGAN2 generator at `path`: a run directory (its latest checkpoint) or an export.

    Args:
      path: A StyleGAN2 run directory (config.json, checkpoints/) or a
        generator export (``export/generator`` or a version in it; a
        ``tfgan.blend`` result is one).
      role: How errors name it (the flag).

    Raises:
      ConfigError: Missing, neither kind, another family, or unreadable.
    """
    if not path:
        raise ConfigError(
            f"{role} is required: the StyleGAN2 run directory or generator export the encoder inverts "
            "(e.g. runs/stylegan2_mnist32)."
        )
    if not os.path.exists(path):
        raise ConfigError(
            f"{role}={path} does not exist; give a StyleGAN2 run directory (with config.json and checkpoints/) "
            "or its export/generator."
        )
    if os.path.isfile(os.path.join(path, "config.json")):
        return _from_run(path, role)
    if stylegan_export.is_export(path):
        return _from_export(path, role)
    raise ConfigError(
        f"{role}={path} is neither a tfgan run directory (no config.json) nor an export (no saved_model.pb); "
        "give a StyleGAN2 run directory or its export/generator."
    )
