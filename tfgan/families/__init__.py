"""The model families, by name: adding one is a folder plus one line here.

Each family is a unit (``tfgan/families/<name>/``) that owns its model and
``train_step``, parameters, networks, presets, export signatures and
evaluation, and hands the run machinery a `tfgan.run.family.Family` record.
"""

from __future__ import annotations

from tfgan.errors import ConfigError
from tfgan.families import image, music, psp, stylegan, translation
from tfgan.run.family import Family

FAMILIES: dict[str, Family] = {
    image.FAMILY.name: image.FAMILY,
    translation.FAMILY.name: translation.FAMILY,
    music.FAMILY.name: music.FAMILY,
    stylegan.FAMILY.name: stylegan.FAMILY,
    psp.FAMILY.name: psp.FAMILY,
}


def get(name: str) -> Family:
    """The family called `name`.

    Raises:
      ConfigError: No such family.
    """
    if name not in FAMILIES:
        raise ConfigError(f"unknown model family {name!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[name]


def preset_family(preset: str) -> Family:
    """The family whose presets include `preset`.

    Raises:
      ConfigError: No family has it.
    """
    for family in FAMILIES.values():
        if preset in family.presets:
            return family
    raise ConfigError(f"--preset={preset!r} is unknown; choose one of: {', '.join(all_presets())}")


def all_presets() -> list[str]:
    """Every family's presets, in registry order."""
    return [name for family in FAMILIES.values() for name in family.presets]
