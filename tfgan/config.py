"""A run's whole configuration: its family, the `RunConfig` and the family's parameters; presets resolve into it.

config.json holds one flat JSON object: ``family``, the `RunConfig` fields
and the family's parameter fields (no name is in both). A run directory
written before families existed has no ``family`` key: it is an image-GAN
run, and resumes as one.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tfgan import families, flagsgen
from tfgan.errors import ConfigError
from tfgan.run.config import RunConfig
from tfgan.run.family import Family

# RunConfig fields a checkpoint's variables depend on (loss scaling adds
# optimiser variables): resuming with other values is refused.
RUN_SHAPE_FIELDS = ("mixed_precision", "mixed_dtype")
RUN_FIELDS = tuple(f.name for f in dataclasses.fields(RunConfig))


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything a run needs: written to ``<model_dir>/config.json``.

    Attributes:
      family: The model family (`tfgan.families.FAMILIES`).
      run: How the run is carried out.
      params: The family's parameters (an instance of ``family.params``).
    """

    family: Family
    run: RunConfig
    params: Any

    def __getattr__(self, name):
        # A field by its flag name, wherever it lives: config.model_dir, config.lr.
        if name.startswith("__"):
            raise AttributeError(name)
        for half in (self.run, self.params):
            if name in {f.name for f in dataclasses.fields(half)}:
                return getattr(half, name)
        raise AttributeError(f"{type(self).__name__} of the {self.family.name} family has no setting {name!r}")

    def replace(self, **fields) -> Config:
        """A copy with `fields` changed, each in the half (run or params) it belongs to."""
        run = {k: v for k, v in fields.items() if k in RUN_FIELDS}
        params = {k: v for k, v in fields.items() if k not in RUN_FIELDS}
        return Config(
            self.family,
            dataclasses.replace(self.run, **run),
            flagsgen.build(self.family.params, {**dataclasses.asdict(self.params), **params}, what=_what(self.family)),
        )

    def fields(self) -> dict:
        """The flat field dict of config.json (without ``family``)."""
        return {**dataclasses.asdict(self.run), **dataclasses.asdict(self.params)}

    def to_json(self) -> str:
        return json.dumps({"family": self.family.name, **self.fields()}, indent=2, sort_keys=True) + "\n"


def _what(family: Family) -> str:
    return f"the {family.name} family"


def _split(family: Family, values: dict) -> tuple[RunConfig, Any]:
    """``(RunConfig, params)`` of flat `values`; every invalid field of both halves is named in one error."""
    run_values = {k: v for k, v in values.items() if k in RUN_FIELDS}
    errors, run, params = [], None, None
    try:
        run = RunConfig(**run_values)
    except ConfigError as e:
        errors.append(str(e).removeprefix("invalid configuration:\n  "))
    try:
        params = flagsgen.build(
            family.params, {k: v for k, v in values.items() if k not in RUN_FIELDS}, what=_what(family)
        )
    except ConfigError as e:
        errors.insert(0, str(e).removeprefix("invalid configuration:\n  "))
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    return run, params


def resolve(preset: str = "default", **overrides) -> Config:
    """Builds a config from a preset and explicitly given fields.

    Args:
      preset: A preset of any family (`tfgan.families.all_presets`); it
        names the family.
      **overrides: Field values (of `RunConfig` or the family's params)
        that replace the preset's; None values are ignored. Setting one of
        `steps`/`epochs` clears the other.

    Raises:
      ConfigError: Unknown preset or field, or invalid values.
    """
    family = families.preset_family(preset)
    values = dict(family.presets[preset], preset=preset)
    given = {k: v for k, v in overrides.items() if v is not None}
    if "steps" in given and "epochs" not in given:
        values.pop("epochs", None)
    if "epochs" in given and "steps" not in given:
        values.pop("steps", None)
    values.update(given)
    return Config(family, *_split(family, values))


def from_json(text: str) -> Config:
    """The config of a config.json's text (``family`` missing: the image family).

    Raises:
      ConfigError: Not a JSON object of known fields with valid values.
    """
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ConfigError(f"config.json must hold a JSON object of settings, not a {type(data).__name__}")
    family = families.get(data.pop("family", "image"))
    known = set(RUN_FIELDS) | {f.name for f in dataclasses.fields(family.params)}
    return Config(family, *_split(family, {k: v for k, v in data.items() if k in known}))


def incompatibilities(saved: Config, new: Config) -> list[str]:
    """The fields where `new` differs from a run's `saved` config so that its checkpoint no longer fits."""
    if saved.family.name != new.family.name:
        return [f"family: the run is a {saved.family.name} run, now {new.family.name}"]
    old, now = saved.fields(), new.fields()
    return [
        f"--{name}: checkpoint has {old[name]!r}, now {now[name]!r}"
        for name in (*RUN_SHAPE_FIELDS, *new.family.shape_fields)
        if old[name] != now[name]
    ]
