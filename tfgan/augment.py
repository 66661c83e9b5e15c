"""DiffAugment: differentiable augmentation of D's inputs.

Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation for
Data-Efficient GAN Training". The same policy transforms real and fake
images before D, in the D step and in the G step; every transform is
differentiable in the images, so G's gradient passes through it. Each
image draws its own parameters (as in the paper's code), from a
`keras.random.SeedGenerator`. Under several replicas each draw is made for
the global batch and every replica keeps its own rows
(`tfgan.distribute.replica_slice`, as for z and dropout): the seed state is
the same on every replica, so otherwise the i-th image of every replica
would get the same shift and cutout.

Contract: images [B, H, W, C] float (any value range; the colour
transforms assume one centred near 0, as [-1, 1]) -> the same shape and
dtype.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tfgan import distribute

TRANSLATION_RATIO = 1 / 8  # largest shift, as a fraction of the side
CUTOUT_RATIO = 1 / 2  # side of the erased square, as a fraction of the side


def _uniform(n, seed):
    return distribute.replica_slice(lambda m: keras.random.uniform((m, 1, 1, 1), seed=seed), n)


def _randint(n, low, high, seed):
    """int [n, 1] in [low, high): this replica's rows of one draw for the global batch."""
    return distribute.replica_slice(lambda m: keras.random.randint((m, 1), low, high, seed=seed), n)


def color(x, seed):
    """Random brightness (+U(-1/2, 1/2)), saturation (x U(0, 2)) and contrast (x U(1/2, 3/2))."""
    n = ops.shape(x)[0]
    x = x + (_uniform(n, seed) - 0.5)
    mean = ops.mean(x, axis=3, keepdims=True)
    x = (x - mean) * (_uniform(n, seed) * 2.0) + mean
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * (_uniform(n, seed) + 0.5) + mean


def _shift(n, size, seed):
    s = int(size * TRANSLATION_RATIO + 0.5)
    return _randint(n, -s, s + 1, seed)


def translation(x, seed, shifts=None):
    """Shifts each image by up to 1/8 of its side in each axis, filling with zeros.

    Output pixel (i, j) is input pixel (i + dy, j + dx), or 0 outside the
    image.

    Args:
      x: Images [B, H, W, C].
      seed: A `keras.random.SeedGenerator`.
      shifts: Optional int32 ``(dy, dx)``, each [B, 1], instead of random ones.
    """
    n, h, w = ops.shape(x)[0], x.shape[1], x.shape[2]
    dy, dx = shifts if shifts is not None else (_shift(n, h, seed), _shift(n, w, seed))
    # Indices into the image padded by one zero pixel per side: anything
    # shifted out of range lands on the padding.
    rows = ops.clip(ops.arange(h)[None, :] + ops.cast(dy, "int32") + 1, 0, h + 1)
    cols = ops.clip(ops.arange(w)[None, :] + ops.cast(dx, "int32") + 1, 0, w + 1)
    padded = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


def cutout(x, seed):
    """Zeroes a random square of half the image's side in each image (it may overlap the border)."""
    n, h, w = ops.shape(x)[0], x.shape[1], x.shape[2]
    ch, cw = int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)
    cy = _randint(n, 0, h + (1 - ch % 2), seed) - ch // 2
    cx = _randint(n, 0, w + (1 - cw % 2), seed) - cw // 2
    r, c = ops.arange(h)[None, :], ops.arange(w)[None, :]
    in_rows = ops.logical_and(r >= cy, r < cy + ch)  # [B, H]
    in_cols = ops.logical_and(c >= cx, c < cx + cw)  # [B, W]
    erased = ops.logical_and(in_rows[:, :, None], in_cols[:, None, :])
    return x * ops.cast(ops.logical_not(erased), x.dtype)[..., None]


POLICIES = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(text) -> tuple[str, ...]:
    """``"translation,cutout"`` -> ``("translation", "cutout")``; ``""`` -> ``()`` (off).

    Raises:
      ValueError: An unknown transform; the message lists the known ones.
    """
    names = tuple(p.strip() for p in (text or "").split(",") if p.strip())
    unknown = [p for p in names if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment transform(s) {', '.join(unknown)}; choose from: {', '.join(POLICIES)}")
    return names


class DiffAugment:
    """Applies a policy's transforms in order (the paper's order: color, translation, cutout).

    Args:
      policy: Transform names of `POLICIES` (or a comma-separated string).
      seed: Seed of the augmentation's own `keras.random.SeedGenerator`.
    """

    def __init__(self, policy, seed=None):
        names = parse_policy(policy) if isinstance(policy, str) else parse_policy(",".join(policy))
        self.policy = tuple(p for p in POLICIES if p in names)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def __call__(self, x):
        dtype = x.dtype
        for name in self.policy:
            x = POLICIES[name](x, self.seed_generator)
        return ops.cast(x, dtype)
