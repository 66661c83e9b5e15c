"""What a run directory's state may look like after the unexpected, and how a run recovers.

- **The checkpoint index** (``checkpoints/checkpoint``, TensorFlow's text
  file naming the latest checkpoint): `tf.train.latest_checkpoint` takes a
  garbled one for "no checkpoint" (a run then starts again from step 0 and
  prunes the old checkpoints) and raises on an empty one.
  `prepare_checkpoints` never trusts it: the latest checkpoint is the newest
  *intact* ``ckpt-N`` on disk, and the index is rewritten to say so when it
  says otherwise (garbled, empty, missing, naming removed or damaged
  checkpoints, or absolute paths into the directory the run was copied from).
- **A damaged checkpoint** (a truncated ``.data`` file, a missing
  ``.index``, a missing shard): skipped with a warning naming it, its files
  moved to ``checkpoints/damaged/`` (kept, never deleted), and the newest
  intact one restored instead, as Keras' ``BackupAndRestore(
  double_checkpoint=True)`` does.
- **Disk full** while checkpointing or exporting: `disk_full_guard` turns
  ENOSPC (an `OSError`, or TensorFlow's `ResourceExhaustedError`) into one
  `DiskFullError` naming the path and the space needed, after removing the
  unfinished files.
- **A killed export** leaves a ``.tmp-*`` staging folder: `remove_stale_staging`
  removes those whose process is gone (`staging_prefix` puts the PID in the
  name).
- **What an export was made from**: `checkpoint_digest` (SHA-256 of the
  checkpoint's ``.index`` file, which holds every tensor's CRC32C, plus the
  facts that decide what is exported): an export is reused only when it was
  made from the same digest (`find_export`), never because of its step alone.
- **A resume with changed flags**: `resume_changes` sorts the changes into
  refused ones (the checkpoint's meaning would change) and accepted ones,
  which `record_changes` logs as ``old -> new`` and appends to
  ``config_history.jsonl`` in the run directory, so no earlier value is lost
  when config.json is rewritten.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import tensorflow as tf

from tfgan.errors import ConfigError, TfganError
from tfgan.fileio import atomic_write

log = logging.getLogger(__name__)

INDEX_FILE = "checkpoint"
DAMAGED_DIR = "damaged"
HISTORY_FILE = "config_history.jsonl"
# A numbered checkpoint's files: <name>-<N>.index and <name>-<N>.data-<i>-of-<k>.
_FILE = re.compile(r"^(?P<prefix>.+-(?P<n>\d+))\.(?:index|data-(?P<i>\d+)-of-(?P<k>\d+))$")
# Staging folders of exports: .tmp-<version>-pid<PID>-<random> (older ones lack the PID).
_STAGING = re.compile(r"^\.tmp-\d+-(?:pid(?P<pid>\d+)-)?")
# A staging folder without a PID in its name counts as stale after this long untouched.
STAGING_MAX_AGE_S = 3600
_READ_ERRORS = (tf.errors.OpError, ValueError, AssertionError, IndexError, OSError)


class DiskFullError(TfganError):
    """The disk filled up while a checkpoint or an export was written."""


# --------------------------------------------------------------------------- the checkpoint index


def _checkpoint_files(directory: str) -> dict[str, dict]:
    """Prefix -> ``{"n", "index", "shards": {i}, "of": k}`` of the numbered checkpoints in `directory`."""
    found: dict[str, dict] = {}
    if not os.path.isdir(directory):
        return found
    for name in os.listdir(directory):
        m = _FILE.match(name)
        if not m or not os.path.isfile(os.path.join(directory, name)):
            continue
        entry = found.setdefault(m["prefix"], {"n": int(m["n"]), "index": False, "shards": set(), "of": None})
        if m["i"] is None:
            entry["index"] = True
        else:
            entry["shards"].add(int(m["i"]))
            entry["of"] = int(m["k"])
    return found


def checkpoint_problem(prefix: str) -> str | None:
    """What is wrong with the checkpoint `prefix` (None: it is intact).

    Intact means: its ``.index`` file and every data shard it names are
    present, and every tensor reads back (TensorFlow checks each tensor's
    CRC32C as it reads). Reads the whole checkpoint once.
    """
    directory, base = os.path.split(prefix)
    entry = _checkpoint_files(directory).get(base)
    if entry is None:
        return "its files are missing"
    if not entry["index"]:
        return f"{base}.index is missing"
    if entry["of"] is None:
        return "its .data file is missing"
    missing = sorted(set(range(entry["of"])) - entry["shards"])
    if missing:
        return f"data shard(s) {missing} of {entry['of']} are missing"
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except _READ_ERRORS as e:
        return f"it cannot be read ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
    return None


def _read_index(directory: str) -> tuple[list[str] | None, str | None]:
    """``(listed prefixes oldest first, problem)`` of the index file; ``(None, None)`` if there is none."""
    path = os.path.join(directory, INDEX_FILE)
    if not os.path.exists(path):
        return None, None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        return [], f"cannot be read ({e})"
    if not text.strip():
        return [], "is empty"
    fields = re.findall(r'^\s*(model_checkpoint_path|all_model_checkpoint_paths)\s*:\s*"([^"]*)"\s*$', text, re.M)
    known = r"^\s*(model_checkpoint_path|all_model_checkpoint_paths|all_model_checkpoint_timestamps|last_preserved_timestamp)\s*:"
    lines = [line for line in text.splitlines() if line.strip()]
    if not fields or any(not re.match(known, line) for line in lines):
        return [], "is garbled"
    latest = [p for k, p in fields if k == "model_checkpoint_path"]
    listed = [p for k, p in fields if k == "all_model_checkpoint_paths"]
    if len(latest) != 1:
        return [], "is garbled"
    if latest[0] not in listed:
        listed.append(latest[0])
    return [p if os.path.isabs(p) else os.path.join(directory, p) for p in listed], None


def write_index(directory: str, prefixes: list[str]) -> None:
    """Writes the index naming `prefixes` (oldest first; the last is the latest), as relative paths."""
    names = [os.path.basename(p) for p in prefixes]
    lines = [f'model_checkpoint_path: "{names[-1]}"'] + [f'all_model_checkpoint_paths: "{n}"' for n in names]
    atomic_write(os.path.join(directory, INDEX_FILE), "\n".join(lines) + "\n")


def _move_damaged(directory: str, base: str) -> str:
    target = os.path.join(directory, DAMAGED_DIR)
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(directory):
        if name.startswith(base + ".") and _FILE.match(name) and _FILE.match(name)["prefix"] == base:
            os.replace(os.path.join(directory, name), os.path.join(target, name))
    return target


def remove_unfinished_checkpoints(directory: str) -> list[str]:
    """Deletes ``ckpt-N_temp`` folders: writes a killed process never finished; returns them.

    TensorFlow writes a checkpoint into such a folder and only then moves it
    into place and names it in the index, so nothing refers to them.
    """
    removed = []
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if name.endswith("_temp") and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def newest_intact(directory: str) -> tuple[str | None, list[tuple[str, str]]]:
    """``(prefix, skipped)``: the newest intact numbered checkpoint in `directory` (None: none), and
    ``(prefix, problem)`` of each newer damaged one. Reads, never writes."""
    skipped = []
    for base, _ in sorted(_checkpoint_files(directory).items(), key=lambda kv: -kv[1]["n"]):
        prefix = os.path.join(directory, base)
        problem = checkpoint_problem(prefix)
        if problem is None:
            return prefix, skipped
        skipped.append((prefix, problem))
    return None, skipped


def remove_unindexed(directory: str) -> list[str]:
    """Removes what a failed save left: ``_temp`` folders and the files of checkpoints newer than the index's latest.

    Does nothing beyond the ``_temp`` folders when the index is missing or
    unreadable (`prepare_checkpoints` sorts that out at the next start).
    """
    removed = remove_unfinished_checkpoints(directory)
    listed, problem = _read_index(directory)
    if problem or not listed:
        return removed
    newest = max(int(re.search(r"-(\d+)$", p).group(1)) for p in listed if re.search(r"-(\d+)$", p))
    for name in os.listdir(directory):
        m = _FILE.match(name)
        if m and int(m["n"]) > newest:
            os.remove(os.path.join(directory, name))
            removed.append(os.path.join(directory, name))
    return removed


def prepare_checkpoints(directory: str) -> str | None:
    """Makes `directory`'s index name its newest intact checkpoint; returns that (None: no checkpoint).

    Removes unfinished ``_temp`` folders; moves damaged checkpoints newer
    than the newest intact one to ``damaged/`` with a warning naming each;
    rewrites the index when it is missing, garbled, empty, or names anything
    else. Call it before a `tf.train.CheckpointManager` reads the directory.

    Raises:
      TfganError: The index names checkpoints but none is left intact, or it
        cannot be read and no ``ckpt-N`` files are beside it: either way a
        fresh start would overwrite a run, so nothing is done.
    """
    for path in remove_unfinished_checkpoints(directory):
        log.warning("removed %s, left by a checkpoint write that never finished", path)
    listed, index_problem = _read_index(directory)
    files = _checkpoint_files(directory)
    if listed is None and not files:
        return None  # a fresh run
    index_path = os.path.join(directory, INDEX_FILE)
    if index_problem and not files:
        raise TfganError(
            f"{index_path} {index_problem} and no ckpt-N files are beside it, so where this run stands is unknown. "
            f"Put its checkpoints back, or remove {directory} to start the run afresh."
        )
    chosen, skipped = newest_intact(directory)
    for prefix, problem in skipped:
        target = _move_damaged(directory, os.path.basename(prefix))
        log.warning("skipped the damaged checkpoint %s (%s); its files are kept in %s", prefix, problem, target)
    if chosen is None:
        raise TfganError(
            f"no intact checkpoint is left in {directory} (damaged: {', '.join(p for p, _ in skipped)}; moved to "
            f"{os.path.join(directory, DAMAGED_DIR)}). Restore a backup of the checkpoints, or remove {directory} "
            f"to start the run afresh."
        )
    present = {os.path.join(directory, b) for b, e in files.items() if e["index"]} - {p for p, _ in skipped}
    by_step = lambda p: files[os.path.basename(p)]["n"]  # noqa: E731
    keep = sorted((p for p in present if by_step(p) <= by_step(chosen)), key=by_step)
    if index_problem or listed is None:
        why = index_problem or "was missing"
        log.warning("%s %s; rebuilt it from the checkpoints present (latest: %s)", index_path, why, chosen)
        write_index(directory, keep)
    elif not listed or listed[-1] != chosen:
        named = listed[-1] if listed else "nothing"
        log.warning("%s named %s; it now names %s, the newest intact checkpoint", index_path, named, chosen)
        write_index(directory, keep)
    elif not set(listed) <= present:
        write_index(directory, keep)  # it also listed checkpoints that were removed
    return chosen


# --------------------------------------------------------------------------- disk full


def is_disk_full(error: BaseException) -> bool:
    """Whether `error` says the device has no space (or the quota is used up)."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if isinstance(error, tf.errors.ResourceExhaustedError):
        return True
    return isinstance(error, tf.errors.OpError) and "No space left on device" in str(error)


def variables_bytes(variables: Iterable) -> int:
    """Bytes of the values of `variables` (what a checkpoint or export of them at least needs)."""
    # Keras 3 variables have tuple shapes and string dtypes; tf.Variables TensorShapes and DTypes.
    return sum(int(np.prod([d or 0 for d in v.shape])) * tf.as_dtype(v.dtype).size for v in variables)


def checkpoint_bytes(prefix: str | None) -> int:
    """Bytes on disk of the checkpoint `prefix` (0 if none)."""
    if not prefix:
        return 0
    directory, base = os.path.split(prefix)
    return sum(
        os.path.getsize(os.path.join(directory, n))
        for n in os.listdir(directory)
        if _FILE.match(n) and _FILE.match(n)["prefix"] == base
    )


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def tree_bytes(path: str) -> int:
    """Bytes of the files under `path` (0 if it is gone)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def free_bytes(path: str) -> int | None:
    """Free bytes on the device holding `path` (or its nearest existing parent)."""
    while path and not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    try:
        return shutil.disk_usage(path or ".").free
    except OSError:
        return None


@contextlib.contextmanager
def disk_full_guard(
    path: str,
    what: str,
    needed_bytes: int | Callable[[], int],
    cleanup: Callable[[], None] | None = None,
    at_least: bool = False,
):
    """Turns a full disk inside the block into one `DiskFullError`, after `cleanup()`.

    Args:
      path: Where the block writes (named in the message).
      what: What it writes, e.g. ``"checkpoint ckpt-40"``.
      needed_bytes: The space the write needs (or a function computing it,
        called only when the disk is full).
      cleanup: Removes the block's unfinished files (its temp folder).
      at_least: `needed_bytes` is a lower bound (e.g. what was written
        when the disk filled): the message says "more than".

    Raises:
      DiskFullError: "no space left on the device of PATH ...: it needs
        about N MB, M MB are free ...".
    """
    try:
        yield
    except BaseException as e:
        if not is_disk_full(e):
            raise
        needed = needed_bytes() if callable(needed_bytes) else needed_bytes
        if cleanup is not None:
            try:
                cleanup()
            except OSError:
                pass
        free = free_bytes(path)
        raise DiskFullError(
            f"no space left on the device of {path} while writing the {what}: it needs "
            f"{'more than' if at_least else 'about'} {_size(needed)}"
            f"{'' if free is None else f', {_size(free)} are free'}. Free some space (or use a --model_dir on "
            f"another disk) and run the same command again; the previous checkpoint is intact and the unfinished "
            f"files were removed."
        ) from e


# --------------------------------------------------------------------------- exports


def staging_prefix(version: int) -> str:
    """The name prefix of an export's staging folder: version and PID, so a later run knows when it is stale."""
    return f".tmp-{version}-pid{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_staging(export_base: str, max_age_s: float = STAGING_MAX_AGE_S) -> list[str]:
    """Removes the ``.tmp-*`` staging folders of killed exports under `export_base`; returns them.

    A folder naming a PID is stale when that process is gone; an older one
    without a PID, when untouched for `max_age_s`. A live exporter's folder
    is left alone.
    """
    removed = []
    if not os.path.isdir(export_base):
        return removed
    for name in os.listdir(export_base):
        m = _STAGING.match(name)
        path = os.path.join(export_base, name)
        if not m or not os.path.isdir(path):
            continue
        if m["pid"] is not None:
            stale = int(m["pid"]) != os.getpid() and not _alive(int(m["pid"]))
        else:
            stale = time.time() - os.path.getmtime(path) > max_age_s
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
            log.warning("removed %s, left by an export that never finished", path)
    return removed


def checkpoint_digest(prefix: str, facts: Mapping | None = None) -> str:
    """``"sha256:<hex>"`` of what an export of checkpoint `prefix` is made from.

    The checkpoint's ``.index`` file lists every tensor with its CRC32C, so
    its hash identifies the checkpoint's content without reading the data;
    `facts` (JSON-serialisable: what else decides the export, e.g. the
    family's parameters and whether the EMA weights are exported) are hashed
    with it.
    """
    h = hashlib.sha256()
    with open(prefix + ".index", "rb") as f:
        h.update(f.read())
    h.update(json.dumps(facts or {}, sort_keys=True, default=str).encode())
    return "sha256:" + h.hexdigest()


def find_export(export_base: str, digest: str, metadata_file: str = "metadata.json") -> str | None:
    """The newest version under `export_base` whose metadata records `digest` (``checkpoint_digest``)."""
    if not os.path.isdir(export_base):
        return None
    for version in sorted((int(d) for d in os.listdir(export_base) if d.isdigit()), reverse=True):
        path = os.path.join(export_base, str(version))
        try:
            with open(os.path.join(path, metadata_file)) as f:
                meta = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("checkpoint_digest") == digest:
            if os.path.isfile(os.path.join(path, "saved_model.pb")):
                return path
    return None


# --------------------------------------------------------------------------- config.json and resume changes


def read_json_object(path: str, what: str = "config") -> dict:
    """The JSON object in `path`.

    Raises:
      TfganError: It is not JSON, or JSON but not an object (a list, a
        number, ...); the message names the file and the fix.
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise TfganError(f"{path} is not a valid tfgan {what} ({e}); restore it, or use a new --model_dir.") from e
    if not isinstance(data, dict):
        raise TfganError(
            f"{path} is not a valid tfgan {what}: it holds a JSON {type(data).__name__}, not an object "
            f'({{"name": value, ...}}); restore it, or use a new --model_dir.'
        )
    return data


# `RunConfig` fields whose change at a resume is refused, with why. A family
# adds its own (its ``shape_fields``, which a checkpoint's variables depend
# on, and the fields that change what the checkpoint means, such as the loss
# or the data); every other change is accepted and recorded.
REFUSED_ON_RESUME: dict[str, str] = {
    "batch_size": "the data position restored is counted in minibatches of the old size (and epochs change length)",
    "seed": "the data order and the fixed samples come from the seed: the run would continue another run's stream",
}


def resume_changes(
    saved: Mapping, new: Mapping, refused: Mapping[str, str] = (), shape_fields: Iterable[str] = ()
) -> tuple[list[str], dict[str, tuple]]:
    """Sorts the differences between a run's `saved` config and the `new` one.

    Args:
      saved: config.json's fields.
      new: The resumed run's fields.
      refused: Field -> why changing it at a resume is refused, beyond
        `REFUSED_ON_RESUME` (which always applies).
      shape_fields: Fields the checkpoint's variables depend on (refused).

    Returns:
      ``(refusals, accepted)``: one message per refused change, and field ->
      ``(old, new)`` of the accepted ones.
    """
    why = {**REFUSED_ON_RESUME, **dict(refused)}
    for name in shape_fields:
        why.setdefault(name, "the checkpoint's variables have the old shape")
    refusals, accepted = [], {}
    for name in sorted(set(saved) | set(new)):
        old, value = saved.get(name), new.get(name)
        if old == value or name not in new:
            continue
        if name in why and name in saved:
            refusals.append(f"--{name}: checkpoint has {old!r}, now {value!r} ({why[name]})")
        else:
            accepted[name] = (old, value)
    return refusals, accepted


def check_resume(saved: Mapping, new: Mapping, model_dir: str, **kwargs) -> dict[str, tuple]:
    """`resume_changes`, raising on refusals; returns the accepted changes.

    Raises:
      ConfigError: One or more changes are refused; the message names each.
    """
    refusals, accepted = resume_changes(saved, new, **kwargs)
    if refusals:
        raise ConfigError(
            f"{model_dir} holds a run whose checkpoint does not fit this config:\n  "
            + "\n  ".join(refusals)
            + "\nRun with the original flags to resume it, or pass a new --model_dir."
        )
    return accepted


def record_changes(model_dir: str, step: int, changes: Mapping[str, tuple]) -> None:
    """Logs each accepted change as ``old -> new`` and appends them to ``config_history.jsonl``.

    One JSON object per resume that changed something: ``{"time", "step",
    "changes": {field: [old, new]}}``. The file is rewritten atomically, so
    a kill never leaves half a line.
    """
    if not changes:
        return
    for name, (old, new) in sorted(changes.items()):
        log.info("resuming at step %d with --%s changed: %r -> %r", step, name, old, new)
    path = os.path.join(model_dir, HISTORY_FILE)
    before = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            before = f.read()
        if before and not before.endswith("\n"):
            before += "\n"
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "step": int(step),
        "changes": {k: list(v) for k, v in sorted(changes.items())},
    }
    atomic_write(path, before + json.dumps(entry, sort_keys=True, default=str) + "\n")


def history(model_dir: str) -> list[dict]:
    """The entries of ``config_history.jsonl`` (oldest first; [] if none)."""
    path = os.path.join(model_dir, HISTORY_FILE)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
