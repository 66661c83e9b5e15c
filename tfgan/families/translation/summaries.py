"""TensorBoard pictures of a translation run: fixed images with their translation and reconstruction."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgan.images import to_uint8

FIXED_IMAGES = 8


def _spread(ds, count: int, n: int) -> tf.data.Dataset:
    """`n` elements of a finite dataset of `count`, evenly spaced (sources sorted by class show every class)."""
    stride = max(1, count // n)
    return ds.enumerate().filter(lambda i, _: i % stride == 0).map(lambda _, e: e).take(n)


def fixed_images(domains, n: int = FIXED_IMAGES) -> dict:
    """`n` evenly spaced images of each domain (its own order, no augmentation), float32 in [-1, 1].

    Returns:
      ``{"a": [n, H, W, C], "b": [n, H, W, C]}`` (pix2pix: n pairs).
    """
    if domains.paired:
        batch = next(iter(_spread(domains.pairs, domains.num_examples, n).batch(n).as_numpy_iterator()))
        return {k: batch[k].astype(np.float32) / 127.5 - 1.0 for k in "ab"}
    out = {}
    for k, source in (("a", domains.a), ("b", domains.b)):
        images = source.examples().map(lambda e: e["image"])
        batch = next(iter(_spread(images, source.info.num_examples, n).batch(n).as_numpy_iterator()))
        out[k] = batch.astype(np.float32) / 127.5 - 1.0
    return out


def pair_rows(images, forward, backward=None) -> np.ndarray:
    """uint8 [n, H, 2-3 W, C]: each image | forward(image) | backward(forward(image)) side by side."""
    x = tf.convert_to_tensor(images, tf.float32)
    y = tf.cast(forward(x, training=False), tf.float32)
    parts = [x, y]
    if backward is not None:
        parts.append(tf.cast(backward(y, training=False), tf.float32))
    return to_uint8(tf.concat(parts, axis=2), (-1.0, 1.0)).numpy()


def write_pairs(step: int, fixed: dict, g_ab, g_ba=None, target=None) -> None:
    """Writes ``a_to_b`` (A | G_ab(A) | G_ba(G_ab(A))) and ``b_to_a`` into the default summary writer.

    For pix2pix (`g_ba` None) ``a_to_b`` shows A | G(A) | the real B
    (`target`).
    """
    rows = pair_rows(fixed["a"], g_ab, g_ba)
    if g_ba is None and target is not None:
        rows = np.concatenate([rows, to_uint8(target, (-1.0, 1.0)).numpy()], axis=2)
    tf.summary.image("a_to_b", rows, step=step, max_outputs=len(rows))
    if g_ba is not None:
        tf.summary.image("b_to_a", pair_rows(fixed["b"], g_ba, g_ab), step=step, max_outputs=len(rows))
