"""Checks of inputs that would otherwise give a silently wrong result.

Each is a small function the CLIs and the run call before acting: what it
refuses raises a `TfganError`/`ConfigError` naming the problem and the fix;
what a run can sensibly go on with is a logged warning.
"""

from __future__ import annotations

import logging
import os

import keras
import numpy as np

from tfgan.errors import ConfigError, TfganError

log = logging.getLogger(__name__)

INT64_MAX = 2**63 - 1
# The Parzen table of Goodfellow et al. 2014 is for MNIST at its own 28x28x1.
PAPER_DATASET, PAPER_SHAPE = "tfds:mnist", (28, 28, 1)


def warn_batchnorm_batch(generator: keras.Model, per_replica_batch: int) -> str | None:
    """Warns when a BatchNorm generator trains on minibatches of one image; returns the warning.

    In training mode BatchNormalization subtracts the batch mean: over one
    image, the first dense layer's output minus its own mean is zero, so G's
    output no longer depends on z (every sample is the same image).
    """
    if per_replica_batch > 1:
        return None
    norms = [layer.name for layer in _layers(generator) if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        return None
    message = (
        f"--batch_size={per_replica_batch} per replica with a generator that has BatchNormalization "
        f"({', '.join(norms[:3])}{', ...' if len(norms) > 3 else ''}): each batch's mean is its one image, so G's "
        f"output does not depend on z and every sample will look the same. Use --batch_size=16 or more "
        f"(or a model without BatchNorm)."
    )
    log.warning(message)
    return message


def _layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def sample_seeds(seed: int, num: int) -> np.ndarray:
    """int64 ``[seed, seed + 1, ..., seed + num - 1]``, refused unless all fit in int64.

    Raises:
      ConfigError: A negative seed, or seeds past 2**63 - 1 (they would wrap
        around or lose precision, and the images repeat).
    """
    if num < 1:
        raise ConfigError(f"--num must be positive, got {num}.")
    if seed < 0 or seed + num - 1 > INT64_MAX:
        raise ConfigError(
            f"--seed={seed} with --num={num}: image i uses seed + i, and every seed must lie in 0..2**63-1 "
            f"(int64); use --seed at most {INT64_MAX - num + 1}."
        )
    return np.int64(seed) + np.arange(num, dtype=np.int64)


def _same_dataset(a: str, b: str) -> bool:
    kind_a, _, arg_a = a.partition(":")
    kind_b, _, arg_b = b.partition(":")
    if kind_a in ("folder", "npz") and kind_a == kind_b:
        return os.path.realpath(arg_a) == os.path.realpath(arg_b)
    return a == b


def check_eval_data(meta: dict, dataset: str, native_shape, allow_mismatch: bool = False) -> list[str]:
    """Refuses to score an export against data it was not trained on; returns the notes to print.

    Args:
      meta: The export's metadata.json (``dataset``, ``image_shape``).
      dataset: The evaluation's ``--dataset``.
      native_shape: ``(H, W, C)`` of that data as stored (before resizing).
      allow_mismatch: Score it anyway (``--allow_mismatch``); the mismatch
        becomes a note.

    Raises:
      TfganError: The export's dataset differs from `dataset`, or (an
        export that does not record its dataset) its image shape differs
        from the data's.
    """
    shape = tuple(int(d) for d in meta["image_shape"])
    native = tuple(int(d) for d in native_shape)
    trained_on = meta.get("dataset")
    problem = None
    if trained_on is not None and not _same_dataset(trained_on, dataset):
        problem = f"the export was trained on --dataset={trained_on}, not {dataset}"
    elif trained_on is None and shape != native:
        problem = f"the export makes {shape} images and {dataset} holds {native} ones"
    notes = []
    if problem:
        if not allow_mismatch:
            raise TfganError(
                f"{problem}: its scores would compare it with data it never saw (the data would be silently "
                f"resized to {shape}). Pass the --dataset it was trained on, or --allow_mismatch to score it anyway."
            )
        notes.append(f"note: {problem} (--allow_mismatch)")
    if shape != native:
        notes.append(f"note: {dataset} is resized from {native} to the export's {shape} for this evaluation")
    return notes


def shows_paper_rows(dataset: str, image_shape) -> bool:
    """Whether the paper's Table 1 rows may stand beside a result: MNIST at 28x28x1 only."""
    return dataset == PAPER_DATASET and tuple(int(d) for d in image_shape) == PAPER_SHAPE
