"""A StyleGAN2 generator read back from a run directory or an export: `load_generator`, `Generator`.

One loader for every tool that takes a trained StyleGAN2 generator as
input: ``python -m tfgan.blend`` (both models), the pSp encoder family (the
frozen generator it inverts) and toonify. A run directory gives its latest
checkpoint's networks, the EMA copies when the run keeps them (the ones its
export serves); an export (a base or a version, a ``tfgan.blend`` result
included) gives the networks it serves. The networks are rebuilt with the
family's builders (`tfgan.families.stylegan.trainer.build_generator`) and
frozen: a loaded generator is read, never trained.

Nothing here imports `tfgan.config`: it imports the family registry, and
the pSp family, registered there, imports this module.
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
from tfgan.families.stylegan import export, synthesis, trainer
from tfgan.families.stylegan.params import StyleGANParams
from tfgan.run import exports

# The fields of `StyleGANParams` an export's metadata.json records (`trainer.export_metadata` and the
# generator's own facts): what rebuilding its networks needs, and the data it was trained on.
EXPORT_PARAM_FIELDS = (
    "image_size",
    "channels",
    "latent_dim",
    "w_dim",
    "mapping_layers",
    "mapping_lr_mult",
    "channel_base",
    "channel_max",
    "ema_decay",
    "dataset",
)


@dataclasses.dataclass
class Generator:
    """A StyleGAN2 generator: its params, networks and mean w, and where it came from.

    Attributes:
      params: The StyleGAN2 parameters its networks were built from.
      mapping: z -> w.
      synthesis: W+ -> images in [-1, 1] (call it with ``training=False``:
        the fixed noise images).
      w_avg: float32 [w_dim], the mean w (the truncation centre).
      path: The run directory or export version read, absolute ("" for one
        made in memory, e.g. a blend before it is exported).
      lineage: `path` and the ``--init_from`` sources it descends from
        (run directories or exports, as absolute paths), nearest first.
      source: What its weights were read from: the checkpoint or the export
        version (a blend records it).
      step: The training step of its weights, when known.
    """

    params: StyleGANParams
    mapping: keras.Model
    synthesis: keras.Model
    w_avg: np.ndarray
    path: str = ""
    lineage: tuple[str, ...] = ()
    source: str = ""
    step: int | None = None

    @property
    def image_size(self) -> int:
        return self.params.image_size

    @property
    def channels(self) -> int:
        return self.params.channels

    @property
    def num_ws(self) -> int:
        return synthesis.num_ws(self.params.image_size)

    @property
    def w_dim(self) -> int:
        return self.params.w_dim

    def facts(self) -> dict:
        """What another export's metadata.json records of it (an encoder's, a translator's)."""
        return {
            "path": self.path,
            "image_size": self.image_size,
            "channels": self.channels,
            "num_ws": self.num_ws,
            "w_dim": self.w_dim,
            "latent_dim": self.params.latent_dim,
            "lineage": list(self.lineage),
        }


def params_from_metadata(meta: dict) -> StyleGANParams:
    """The `StyleGANParams` that rebuild the networks of the export whose metadata.json is `meta`."""
    defaults = {f.name: f.default for f in dataclasses.fields(StyleGANParams)}
    # Exports written before metadata.json recorded mapping_lr_mult used the default (every preset's).
    return StyleGANParams(**{f: meta.get(f, defaults[f]) for f in EXPORT_PARAM_FIELDS})


def _init_from_of(path: str) -> str | None:
    try:
        if os.path.isfile(os.path.join(path, "config.json")):
            with open(os.path.join(path, "config.json")) as f:
                return json.load(f).get("init_from")
        return exports.load_metadata(exports.latest_version(path)).get("init_from")
    except (OSError, ValueError, TfganError):
        return None  # a source that has gone or is unreadable: the chain ends there


def lineage(path: str, init_from: str | None) -> tuple[str, ...]:
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


def _frozen(mapping, synthesis_net):
    mapping.trainable = synthesis_net.trainable = False
    return mapping, synthesis_net


def _from_run(path: str, role: str) -> Generator:
    try:
        with open(os.path.join(path, "config.json")) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ConfigError(f"{role}={path}: cannot read its config.json ({e}); is it a tfgan run directory?") from e
    family = data.get("family", "image") if isinstance(data, dict) else "unknown"
    if family != export.FAMILY:
        raise ConfigError(f"{role}={path} is a {family} run, not a StyleGAN2 one.")
    # config.json holds the run's fields beside the family's, flat: keep the family's.
    fields = {f.name for f in dataclasses.fields(StyleGANParams)}
    params = flagsgen.build(StyleGANParams, {k: v for k, v in data.items() if k in fields}, what=f"{role}={path}")
    ckpt = tf.train.latest_checkpoint(os.path.join(path, "checkpoints"))
    if ckpt is None:
        raise ConfigError(f"{role}={path} has no checkpoint yet; train it first or give its export.")
    try:
        mapping, synthesis_net, w_avg, step = trainer.restore_generator(params, ckpt)
    except TfganError as e:  # named with the flag; the first line says what failed
        raise ConfigError(f"{role}={path}: {str(e).splitlines()[0]}") from e
    return Generator(
        params,
        *_frozen(mapping, synthesis_net),
        w_avg.numpy(),
        path=os.path.abspath(path),
        lineage=lineage(path, params.init_from),
        source=ckpt,
        step=step,
    )


def _from_export(path: str, role: str) -> Generator:
    version, meta = exports.family_export(path, export.FAMILY, "a StyleGAN2 generator (export/generator)", role)
    params = params_from_metadata(meta)
    mapping, synthesis_net = trainer.build_generator(params)
    w_avg = tf.Variable(tf.zeros([params.w_dim]), trainable=False, name="w_avg")
    trainer.read_export(version, mapping, synthesis_net, w_avg, role=f"{role}={path}")
    return Generator(
        params,
        *_frozen(mapping, synthesis_net),
        w_avg.numpy(),
        path=os.path.abspath(version),
        lineage=lineage(version, meta.get("init_from")),
        source=version,
        step=meta.get("step"),
    )


def load_generator(path: str | None, role: str = "--generator") -> Generator:
    """The frozen StyleGAN2 generator at `path`: a run directory (its latest checkpoint) or an export.

    Args:
      path: A StyleGAN2 run directory (config.json, checkpoints/; the EMA
        networks when the run keeps them) or a generator export
        (``export/generator`` or a version in it; a ``tfgan.blend`` result
        is one).
      role: How errors name it (the flag, e.g. ``"--low"``).

    Raises:
      ConfigError: Missing, neither kind, another family's, without a
        checkpoint, or unreadable.
    """
    if not path:
        raise ConfigError(
            f"{role} is required: a StyleGAN2 run directory or generator export (e.g. runs/stylegan2_mnist32)."
        )
    if not os.path.exists(path):
        raise ConfigError(
            f"{role}={path} does not exist; give a StyleGAN2 run directory (with config.json and checkpoints/) "
            "or its export/generator."
        )
    if os.path.isfile(os.path.join(path, "config.json")):
        return _from_run(path, role)
    if export.is_export(path):
        return _from_export(path, role)
    raise ConfigError(
        f"{role}={path} is neither a tfgan run directory (no config.json) nor an export (no saved_model.pb); "
        "give a StyleGAN2 run directory or its export/generator."
    )
