"""Checkpoints of a run, whatever the family: restore (tolerating extensions switched at a resume) and cleanup."""

from __future__ import annotations

import logging
import os
import shutil

import tensorflow as tf

log = logging.getLogger(__name__)

# What restoring a damaged or mismatched checkpoint raises (a truncated data
# file surfaces as IndexError from the reader).
RESTORE_ERRORS = (tf.errors.OpError, ValueError, AssertionError, IndexError, OSError)


def top_level_names(checkpoint: str) -> set[str]:
    """The names of the objects saved in checkpoint `checkpoint` (a prefix), e.g. ``{"generator", "step"}``."""
    return {key.split("/")[0] for key, _ in tf.train.list_variables(checkpoint)} - {"_CHECKPOINTABLE_OBJECT_GRAPH"}


def checkpoint_has(checkpoint: str, name: str) -> bool:
    """Whether the checkpoint `checkpoint` (a prefix) holds the object `name`."""
    return name in top_level_names(checkpoint)


def restore(objects: dict, path: str, optional: dict | None = None) -> None:
    """Restores checkpoint `path` into `objects`.

    Every object of `objects` must be in the checkpoint and match it,
    except those named in `optional` that the checkpoint lacks (an extension
    switched on at a resume, e.g. the EMA of G): their initialiser is
    called instead. Objects the checkpoint holds that `objects` lacks (an
    extension switched off) are left out.

    Args:
      objects: Name -> trackable.
      path: A checkpoint prefix.
      optional: Name -> initialiser, for names `objects` may hold that an
        older checkpoint lacks.

    Raises:
      One of `RESTORE_ERRORS`: the checkpoint is damaged or from another
        model.
    """
    optional = optional or {}
    saved = top_level_names(path)
    fresh = [name for name in optional if name in objects and name not in saved]
    restored = {k: v for k, v in objects.items() if k not in fresh}
    status = tf.train.Checkpoint(**restored).restore(path).assert_existing_objects_matched()
    dropped = sorted(saved - set(objects) - {"save_counter"})
    if dropped:
        status.expect_partial()
        log.info("%s holds %s, which this run no longer keeps", path, ", ".join(dropped))
    for name in fresh:
        optional[name]()
        log.info("%s holds no %s: it starts afresh at this resume", path, name)


def remove_unfinished(directory: str) -> None:
    """Deletes ``ckpt-N_temp`` folders: writes a killed process never finished.

    TensorFlow writes a checkpoint into such a folder and only then moves it
    into place and names it in the ``checkpoint`` index, so the index never
    points at one of them; they are garbage.
    """
    if not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if name.endswith("_temp") and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
            log.warning("removed %s, left by a checkpoint write that never finished", path)


def layer_rng_states(*networks) -> list:
    """The RNG state variables of the networks' layers (e.g. Dropout), in a fixed order.

    Without them a resumed run draws other dropout masks.
    """
    return [v for net in networks for v in net.variables if "seed_generator_state" in v.path]
