"""In-memory arrays and `.npz` files as an image source."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import tensorflow as tf

from pipelines.base import ImageSource, PipelineError, SourceInfo, to_uint8_image


def _as_uint8(x: np.ndarray, name: str) -> np.ndarray:
    """uint8 stays; floats must lie in [0, 1]; other integers in 0..255."""
    if x.dtype == np.uint8:
        return x
    if np.issubdtype(x.dtype, np.floating):
        bad = ~np.isfinite(x)
        if bad.any():
            what = "NaN" if np.isnan(x).any() else "infinite"
            first = int(np.argmax(bad.reshape(len(x), -1).any(axis=1))) if x.ndim else 0
            raise PipelineError(
                f"{name}: the images hold {what} values ({int(bad.sum())} of {x.size}, first in image {first}); "
                f"remove or repair those images (float images must be finite, in [0, 1])."
            )
        if x.size and (x.min() < 0.0 or x.max() > 1.0):
            raise PipelineError(
                f"{name}: float images must hold finite values in [0, 1] "
                f"(found {np.nanmin(x):.3g}..{np.nanmax(x):.3g}); scale them or save uint8."
            )
        return np.round(x * 255.0).astype(np.uint8)
    if np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise PipelineError(f"{name}: integer images must lie in 0..255, found {x.min()}..{x.max()}.")
        return x.astype(np.uint8)
    raise PipelineError(f"{name}: images must be a numeric array, got dtype {x.dtype}.")


class ArraySource(ImageSource):
    """Images held in a NumPy array.

    Contract: yields ``{"image": uint8 [size, size, channels] in 0..255,
    "label": int32 []}`` in array order.

    Args:
      x: [N, H, W] or [N, H, W, C] images: uint8 0..255, floats in [0, 1],
        or integers in 0..255.
      y: Optional int labels [N]; zeros when absent.
      image_size: Output side length; None keeps the arrays' (square) size.
      channels: 1 or 3; None keeps the arrays' channel count (1 or 3).
      name: How error messages and `info.name` refer to the data.
      num_classes: Number of label classes if known.
    """

    def __init__(self, x, y=None, *, image_size=None, channels=None, name="arrays", num_classes=None):
        x = np.asarray(x)
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.shape[0] == 0 or x.shape[-1] not in (1, 2, 3, 4):
            raise PipelineError(
                f"{name}: images must be an array of shape [N, H, W] or [N, H, W, C] with N > 0 "
                f"and C in 1..4, got shape {x.shape}."
            )
        self._x = _as_uint8(x, name)
        n = x.shape[0]
        if y is None:
            self._y = np.zeros([n], np.int32)
        else:
            y = np.asarray(y)
            if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
                raise PipelineError(
                    f"{name}: labels must be integers of shape [{n}] (one per image), got {y.dtype} {y.shape}."
                )
            self._y = y.astype(np.int32)
            if num_classes is None:  # negative labels are no class: a conditional run refuses them (check_labels)
                num_classes = max(int(self._y.max()) + 1, 1)
        h, w = x.shape[1:3]
        if image_size is None and h != w:
            raise PipelineError(f"{name}: images are {h}x{w}; pass --image_size to make them square.")
        native_c = 1 if x.shape[-1] <= 2 else 3
        needs_resize = image_size is not None and (image_size != h or h != w)
        self._size = image_size if needs_resize else None
        self._channels = channels or native_c
        side = image_size or h
        self.info = SourceInfo(name, (side, side, self._channels), n, num_classes)

    def check_labels(self, num_classes: int) -> None:
        bad = (self._y < 0) | (self._y >= num_classes)
        if bad.any():
            index = np.flatnonzero(bad)
            raise PipelineError(
                f"{self.info.name}: {len(index)} label(s) lie outside 0..{num_classes - 1}, e.g. "
                f"{int(self._y[index[0]])} at index {int(index[0])}; a conditional model needs class indices "
                f"0..{num_classes - 1} (fix the labels, or train without --conditional)."
            )

    def examples(self) -> tf.data.Dataset:
        ds = tf.data.Dataset.from_tensor_slices({"image": self._x, "label": self._y})
        h, w, c = self.info.image_shape
        same = self._size is None and self._x.shape[-1] == c
        if same:
            return ds

        def convert(element):
            image = to_uint8_image(element["image"], self._size, c)
            image.set_shape([h, w, c])
            return {"image": image, "label": element["label"]}

        return ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def load_npz(path: str, *, split: str = "train", image_size=None, channels=None) -> ArraySource:
    """Opens an ``.npz`` file with arrays ``x`` and optional ``y``.

    The test split reads ``x_test`` / ``y_test`` from the same file. Loaded
    with ``allow_pickle=False``: a file of Python objects is refused, since
    unpickling runs arbitrary code.

    Returns:
      An `ArraySource` (see its contract).

    Raises:
      PipelineError: Missing/unreadable file, missing arrays, bad shapes.
    """
    name = f"npz:{path}"
    if not os.path.isfile(path):
        raise PipelineError(f"{name}: no such file. Pass --dataset=npz:/path/to/file.npz.")
    if not zipfile.is_zipfile(path):  # else numpy would take it for a pickle
        raise PipelineError(f"{name}: not a readable .npz file (not a zip archive). Save it with numpy.savez.")
    key_x, key_y = ("x", "y") if split == "train" else (f"x_{split}", f"y_{split}")
    try:
        with np.load(path, allow_pickle=False) as data:
            if key_x not in data.files:
                raise PipelineError(
                    f"{name}: no array {key_x!r} for split {split!r} (arrays: {sorted(data.files)}). "
                    f"Save images as {key_x!r} (and labels as {key_y!r})."
                )
            x = data[key_x]
            y = data[key_y] if key_y in data.files else None
    except PipelineError:
        raise
    except ValueError as e:
        raise PipelineError(f"{name}: holds Python objects, which are not loaded (allow_pickle=False): {e}") from e
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise PipelineError(f"{name}: not a readable .npz file ({e}).") from e
    return ArraySource(x, y, image_size=image_size, channels=channels, name=name)
