"""absl flags generated from frozen dataclasses: a field is written once, with its help in the docstring.

A CLI defines one flag per field of its dataclasses (`define`), every flag
defaulting to None so that "not given" can be told from "given the default",
and builds the dataclass back from the flags that were given (`given`). The
help text of a field is its entry in the class docstring's ``Attributes:``
section (Google style).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing

from absl import flags

from tfgan.errors import ConfigError

_DEFINE = {str: flags.DEFINE_string, int: flags.DEFINE_integer, float: flags.DEFINE_float, bool: flags.DEFINE_bool}


def field_docs(cls) -> dict[str, str]:
    """Field name -> help text, from the ``Attributes:`` section of `cls`'s docstring."""
    doc = cls.__doc__ or ""
    match = re.search(r"^\s*Attributes:\s*$(.*?)(?=^\s*\w[\w ]*:\s*$|\Z)", doc, re.M | re.S)
    if not match:
        return {}
    docs, name = {}, None
    for line in match.group(1).splitlines():
        entry = re.match(r"^\s{4,6}(\w+(?:, \w+)*):\s*(.*)$", line)
        if entry:
            names = entry.group(1).split(", ")
            for name in names:
                docs[name] = entry.group(2).strip()
        elif name and line.strip():
            for n in names:
                docs[n] += " " + line.strip()
    return docs


def _base_type(annotation):
    """``int`` for ``int``, ``int | None`` and ``"int | None"``."""
    if isinstance(annotation, str):
        annotation = eval(annotation, {}, {})  # a PEP 563 string of builtin types
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0]
    return annotation


def define(classes, flag_values=flags.FLAGS, skip=()) -> list[str]:
    """Defines a flag for every field of `classes` (once per name), default None.

    Args:
      classes: Frozen dataclasses; a name shared by several (e.g. ``lr`` of
        two families) becomes one flag, which must have one type.
      flag_values: Where to define them.
      skip: Field names not to define (a CLI defines them itself).

    Returns:
      The names defined.
    """
    defined, types_ = [], {}
    for cls in classes:
        docs = field_docs(cls)
        for field in dataclasses.fields(cls):
            if field.name in skip:
                continue
            kind = _base_type(field.type)
            if field.name in types_:
                if types_[field.name] is not kind:
                    raise TypeError(f"flag --{field.name} has two types: {types_[field.name]} and {kind}")
                continue
            types_[field.name] = kind
            help_text = docs.get(field.name, field.name)
            if field.default is not dataclasses.MISSING and field.default not in (None, ""):
                help_text += f" (if unset: {field.default})"
            _DEFINE[kind](field.name, None, help_text, flag_values=flag_values)
            defined.append(field.name)
    return defined


def given(flag_values=flags.FLAGS, names=None) -> dict:
    """Name -> value of the flags given on the command line (among `names`, default all)."""
    names = flag_values if names is None else names
    return {name: flag_values[name].value for name in names if flag_values[name].value is not None}


def build(cls, values: dict, *, what: str):
    """``cls(**values)``, refusing names that are not fields of `cls` with one `ConfigError`.

    Args:
      cls: The dataclass.
      values: Field values (e.g. `given`).
      what: What `cls` configures, for the message (e.g. "the image family").
    """
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{', '.join('--' + n for n in unknown)}: not a setting of {what} (its settings: {', '.join(sorted(known))})"
        )
    return cls(**values)
