"""Shared pieces of the input pipelines: the source interface and batching.

Every source yields *examples*: a dict ``{"image": uint8 [H, W, C],
"label": int32 []}`` with pixel values in 0..255, at the size and channel
count the caller asked for. `make_train_dataset` turns any source into the
infinite, shuffled, batched float stream that training consumes.
"""

from __future__ import annotations

import dataclasses
import math

import tensorflow as tf

from tfgan.errors import TfganError

# Sources below this many bytes of uint8 pixels are cached in memory; larger
# ones are decoded again every epoch rather than risk an out-of-memory kill.
_CACHE_LIMIT_BYTES = 4 * 1024**3
# A full-dataset shuffle buffer holds uint8 images; cap it for huge datasets.
_MAX_SHUFFLE_BUFFER = 100_000


class PipelineError(TfganError, ValueError):
    """A problem with the input data that the user can fix (named in the text)."""


@dataclasses.dataclass(frozen=True)
class Feature:
    """One named feature of a source's examples: the contract a consumer may rely on.

    Attributes:
      shape: The shape of one example's value (``()`` for a scalar).
      dtype: Its dtype name, e.g. ``"uint8"``.
      value_range: ``(low, high)``, inclusive, of its values.
      meaning: What the axes and values mean, in words.
    """

    shape: tuple[int, ...]
    dtype: str
    value_range: tuple[float, float]
    meaning: str


def check_element(features: dict[str, Feature], element: dict) -> None:
    """Raises `PipelineError` unless one (NumPy) example `element` keeps the `features` contract."""
    if set(element) != set(features):
        raise PipelineError(f"example has features {sorted(element)}, the contract says {sorted(features)}")
    for name, feature in features.items():
        value = element[name]
        if tuple(value.shape) != tuple(feature.shape) or str(value.dtype) != feature.dtype:
            raise PipelineError(
                f"feature {name!r} is {value.dtype} {list(value.shape)}, the contract says "
                f"{feature.dtype} {list(feature.shape)}"
            )
        low, high = feature.value_range
        if value.size and (value.min() < low or value.max() > high):
            raise PipelineError(f"feature {name!r} holds values outside [{low}, {high}]")


@dataclasses.dataclass(frozen=True)
class SourceInfo:
    """What a source yields.

    Attributes:
      name: The source spec it was opened from, e.g. ``"tfds:mnist"``.
      image_shape: ``(H, W, C)`` of every image the source yields.
      num_examples: Number of examples in the split.
      num_classes: Number of label classes, or None when the data has none
        (then every label is 0).
    """

    name: str
    image_shape: tuple[int, int, int]
    num_examples: int
    num_classes: int | None


class ImageSource:
    """A finite, deterministically ordered collection of labelled images."""

    info: SourceInfo

    def features(self) -> dict[str, Feature]:
        """The contract of every example `examples` yields (see `Feature`)."""
        classes = self.info.num_classes or 1
        return {
            "image": Feature(self.info.image_shape, "uint8", (0, 255), "[H, W, C] pixels, 0 black to 255 white"),
            "label": Feature((), "int32", (0, classes - 1), "class index; 0 for data without classes"),
        }

    def examples(self) -> tf.data.Dataset:
        """Returns the examples in a fixed order.

        Returns:
          A finite ``tf.data.Dataset`` of ``{"image": uint8 [H, W, C] in
          0..255, "label": int32 []}`` with ``(H, W, C) == info.image_shape``.
        """
        raise NotImplementedError


def to_uint8_image(image: tf.Tensor, size: int | None, channels: int) -> tf.Tensor:
    """Converts one decoded image to a square uint8 image of `channels`.

    Non-square images are centre-cropped to a square first (stretching would
    distort faces and digits alike), then resized with antialiasing.

    Args:
      image: uint8 [H, W, c] with c in 1..4 (alpha is dropped).
      size: Output side length, or None to keep H (the image must be square).
      channels: 1 (grayscale) or 3 (RGB).

    Returns:
      uint8 [size, size, channels].
    """
    n = tf.shape(image)[-1]
    rgb = tf.cond(
        n < 3,
        lambda: tf.image.grayscale_to_rgb(image[..., :1]),
        lambda: image[..., :3],
    )
    rgb.set_shape([None, None, 3])
    if channels == 1:
        image = tf.image.rgb_to_grayscale(rgb)
    else:
        image = rgb
    h, w = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.minimum(h, w)
    image = tf.image.crop_to_bounding_box(image, (h - side) // 2, (w - side) // 2, side, side)
    if size is not None:
        image = tf.image.resize(tf.cast(image, tf.float32), [size, size], antialias=True)
        image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
    return image


def make_train_dataset(
    source: ImageSource,
    batch_size: int,
    *,
    seed: int,
    value_range: tuple[float, float] = (-1.0, 1.0),
    group: int = 1,
    start_step: int = 0,
) -> tf.data.Dataset:
    """The infinite training stream of a source.

    Each data epoch is a fresh shuffle of the whole source (seeded by `seed`
    and the epoch index, so the order is reproducible), cut into
    ``len // batch_size`` full batches. `group` consecutive batches form one
    element, so a step that needs k *distinct* real minibatches (the k
    discriminator steps of Goodfellow et al. 2014, Algorithm 1) gets them
    in one element.

    Args:
      source: Any `ImageSource`.
      batch_size: Images per minibatch.
      seed: Shuffle seed.
      value_range: ``(low, high)``: pixel 0 maps to low, 255 to high.
      group: Minibatches per element (the k of Algorithm 1).
      start_step: Number of elements already consumed; the stream starts
        where an uninterrupted stream would be after that many elements, so
        a resumed run sees the same data it would have seen (skipping costs
        about a second per million images on a 2-core CPU).

    Returns:
      An infinite ``tf.data.Dataset`` of ``{"image": float32 [group,
      batch_size, H, W, C] in value_range, "label": int32 [group,
      batch_size]}``.

    Raises:
      PipelineError: If the source holds fewer than `batch_size` examples.
    """
    info = source.info
    n = info.num_examples
    if batch_size <= 0 or group <= 0:
        raise PipelineError(f"batch_size and group must be positive, got {batch_size}, {group}")
    batches_per_epoch = n // batch_size
    if batches_per_epoch == 0:
        raise PipelineError(
            f"--batch_size={batch_size} is larger than the dataset {info.name!r}, which holds "
            f"{n} examples; use --batch_size={max(1, n)} or less."
        )
    h, w, c = info.image_shape
    examples = source.examples()
    if n * h * w * c <= _CACHE_LIMIT_BYTES:
        examples = examples.cache()
    buffer = min(n, _MAX_SHUFFLE_BUFFER)
    # A fixed seed with reshuffle_each_iteration gives every epoch a new order
    # and the whole stream a reproducible one; resuming skips what was used.
    ds = examples.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True).repeat()
    if start_step:
        ds = ds.skip(start_step * group)
    ds = ds.batch(group, drop_remainder=True)
    low, high = value_range
    scale = (high - low) / 255.0

    def to_float(element):
        image = tf.cast(element["image"], tf.float32) * scale + low
        return {"image": image, "label": tf.cast(element["label"], tf.int32)}

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE).with_options(stream_options())


def stream_options() -> tf.data.Options:
    """The training stream's `tf.data.Options`: tf.data's autotuning model is off.

    Deleting an iterator while that model's background thread sleeps waits
    until the thread wakes, 10 ms x (2**n - 1) after the iterator was made
    and every 60 s later on; `keras.Model.fit` deletes its iterator when it
    returns, so every training run ended idle for up to a minute (49 s after
    a 93 s fit on a 2-core CPU). Without the model, AUTOTUNE parallel maps
    run one call per core and AUTOTUNE prefetch buffers still grow on
    demand, which keeps the stream far ahead of any train step (see
    ``benchmarks/train_step.py``).
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def batches_per_epoch(info: SourceInfo, batch_size: int) -> int:
    """Full minibatches in one pass over the source."""
    return info.num_examples // batch_size


def steps_per_epoch(info: SourceInfo, batch_size: int, group: int) -> int:
    """Training elements (groups of minibatches) in one pass, at least 1."""
    return max(1, math.floor(batches_per_epoch(info, batch_size) / group))


def mean_image(source: ImageSource, batch_size: int = 1000):
    """The mean image of a source, float64 [H, W, C] in [0, 1] (one pass)."""
    import numpy as np

    total, count = 0.0, 0
    for batch in source.examples().batch(batch_size).as_numpy_iterator():
        total = total + batch["image"].astype(np.float64).sum(axis=0)
        count += len(batch["image"])
    return total / (255.0 * count)
