"""Export versioning, whatever the family: what TF Serving watches.

Layout::

    <export_base>/<version>/saved_model.pb, variables/, metadata.json

A version is written under a hidden temporary name (``.tmp-<v>-*``) and
renamed when complete, so a server never sees half a model; versions are
consecutive integers and an existing one is never overwritten.
``metadata.json`` holds the family's facts and ``family`` (an export
without that key is an image GAN's, written before families existed).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable

from tfgan.errors import ConfigError, TfganError
from tfgan.fileio import atomic_write, publish_mode
from tfgan.run import recovery

METADATA_FILE = "metadata.json"
# What metadata.json of an export written before families existed means.
DEFAULT_FAMILY = "image"


def next_version(export_base: str) -> int:
    """One more than the highest integer version directory (1 if none)."""
    if not os.path.isdir(export_base):
        return 1
    versions = [int(d) for d in os.listdir(export_base) if d.isdigit()]
    return max(versions, default=0) + 1


def publish(export_base: str, write: Callable[[str], dict], *, family: str) -> str:
    """Writes a new version under `export_base`, atomically.

    Args:
      export_base: The directory TF Serving watches (versions inside).
      write: ``staging_dir -> metadata``: writes the SavedModel into the
        (empty) staging directory and returns the facts for metadata.json.
      family: The family's name, recorded in metadata.json.

    Returns:
      The path of the new version directory.

    Raises:
      TfganError: `export_base` is itself a version, or a version appeared
        while writing; nothing is left behind then.
      recovery.DiskFullError: The disk filled up while writing (the staging
        folder is removed).
    """
    if os.path.isfile(os.path.join(export_base, "saved_model.pb")):
        raise TfganError(
            f"{export_base} is itself an exported version (it holds saved_model.pb); pass its parent "
            f"directory ({os.path.dirname(os.path.abspath(export_base))}) so a new version is added beside it."
        )
    os.makedirs(export_base, exist_ok=True)
    recovery.remove_stale_staging(export_base)  # what killed exports left
    version = next_version(export_base)
    # The PID in the name lets a later run tell a killed export's folder from a live one's.
    tmp = tempfile.mkdtemp(prefix=recovery.staging_prefix(version), dir=export_base)
    try:
        # What it needs is at least what it had written when the disk filled.
        with recovery.disk_full_guard(export_base, "export", lambda: recovery.tree_bytes(tmp), at_least=True):
            info = {**write(tmp), "version": version, "family": family}
            atomic_write(os.path.join(tmp, METADATA_FILE), json.dumps(info, indent=2, sort_keys=True) + "\n")
        final = os.path.join(export_base, str(version))
        if os.path.exists(final):  # another exporter won the race: never overwrite
            raise TfganError(f"export version {final} appeared while exporting; not overwritten.")
        publish_mode(tmp, directory=True)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def load_metadata(export_dir: str) -> dict:
    """Reads ``metadata.json`` of an export version directory (``family`` filled in for old exports)."""
    path = os.path.join(export_dir, METADATA_FILE)
    if not os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
        raise TfganError(f"{export_dir} is not an exported model (no saved_model.pb in it).")
    with open(path) as f:
        meta = json.load(f)
    meta.setdefault("family", DEFAULT_FAMILY)
    return meta


def latest_version(export_base: str) -> str:
    """The highest version directory under `export_base` (or the dir itself if it is one)."""
    if os.path.isfile(os.path.join(export_base, "saved_model.pb")):
        return export_base
    version = next_version(export_base) - 1
    if version < 1:
        raise TfganError(f"no exported version under {export_base}; run `python -m tfgan.export` first.")
    return os.path.join(export_base, str(version))


def family_export(path: str, family: str, what: str, role: str = "--export_dir") -> tuple[str, dict]:
    """The latest version under `path` and its metadata, which must be an export of `family`.

    Args:
      path: An export base or a version in it.
      family: The family the caller reads.
      what: What the caller needs, for messages ("a pSp encoder (export/encoder)").
      role: The flag that named `path`.

    Raises:
      ConfigError: `path` does not exist, holds no export, or holds another family's.
    """
    if not path or not os.path.isdir(path):
        raise ConfigError(f"{role}={path} does not exist; give {what}.")
    try:
        version = latest_version(path)
        meta = load_metadata(version)
    except TfganError as e:  # no export there, or an unreadable metadata.json
        raise ConfigError(f"{role}={path}: {e}") from e
    if meta.get("family") != family:
        raise ConfigError(f"{role}={path} is a {meta.get('family')} export, not {what}.")
    return version, meta
