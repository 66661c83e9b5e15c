"""Image grids: how samples are shown in PNGs and TensorBoard."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from tfgan.fileio import atomic_write


def to_uint8(images, value_range) -> tf.Tensor:
    """Maps float images in ``value_range = (low, high)`` to uint8 0..255."""
    low, high = value_range
    x = (tf.convert_to_tensor(images, tf.float32) - low) * (255.0 / (high - low))
    return tf.cast(tf.clip_by_value(tf.round(x), 0.0, 255.0), tf.uint8)


def make_grid(images, rows: int | None = None, min_cell: int = 32, pad: int = 1) -> np.ndarray:
    """Tiles images into one picture.

    Args:
      images: uint8 [N, H, W, C].
      rows: Grid rows; default makes the grid about square.
      min_cell: Small images are enlarged (nearest neighbour) to at least
        this many pixels a side, so 8x8 digits stay visible.
      pad: Pixels of grey between cells.

    Returns:
      uint8 [rows * (H' + pad) + pad, cols * (W' + pad) + pad, C].
    """
    images = np.asarray(images)
    n, h, w, c = images.shape
    scale = max(1, math.ceil(min_cell / max(h, w)))
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    rows = rows or max(1, int(math.floor(math.sqrt(n))))
    cols = math.ceil(n / rows)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), 128, np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + q * (w + pad) : pad + q * (w + pad) + w] = images[i]
    return grid


def write_png(path: str, image) -> None:
    """Writes a uint8 [H, W, C] image as PNG, atomically."""
    atomic_write(path, tf.io.encode_png(np.asarray(image)).numpy())
