"""The building blocks the image networks share: noise, spectral norm, the `Networks` record, DCGAN sizes.

Kept apart from `networks` so that `conditioning` and `resnet`, which
`networks` builds on, need not import it back.
"""

from __future__ import annotations

import dataclasses
import math

import keras
from keras import layers

NOISE_KINDS = ("uniform", "normal")
SQRT3 = math.sqrt(3.0)


def maybe_spectral_norm(layer, enabled: bool):
    """`layer` wrapped in `keras.layers.SpectralNormalization` when `enabled`.

    Miyato et al. 2018, "Spectral Normalization for Generative Adversarial
    Networks": each training-mode call runs one power iteration and divides
    the layer's kernel by its estimated largest singular value, so the
    layer is about 1-Lipschitz. For D's Dense/Conv layers (``--spectral_norm``).
    """
    return layers.SpectralNormalization(layer) if enabled else layer


def sample_noise(kind: str, shape, seed=None):
    """Draws latent vectors.

    Args:
      kind: ``"uniform"``: U[-sqrt 3, sqrt 3] per coordinate (unit variance),
        the paper's MNIST code; ``"normal"``: N(0, 1), the DCGAN tutorial's.
      shape: ``[batch, latent_dim]``.
      seed: A `keras.random.SeedGenerator`, an int, or None.

    Returns:
      float32 tensor of `shape`.
    """
    if kind == "uniform":
        return keras.random.uniform(shape, -SQRT3, SQRT3, seed=seed)
    if kind == "normal":
        return keras.random.normal(shape, seed=seed)
    raise ValueError(f"unknown noise {kind!r}; choose one of {NOISE_KINDS}.")


@dataclasses.dataclass(frozen=True)
class Networks:
    """A generator/discriminator pair and how to feed them.

    Attributes:
      generator: z [B, latent_dim] -> images [B, H, W, C] in `output_range`
        (conditional: ``[z, label int32 [B]]`` -> images).
      discriminator: images -> logits [B, 1] (conditional: ``[images,
        label]`` -> logits).
      noise: The latent distribution (see `sample_noise`).
      output_range: ``(low, high)`` of the generator's pixels; the pipeline
        scales real images to the same range.
    """

    generator: keras.Model
    discriminator: keras.Model
    noise: str
    output_range: tuple[float, float]


def dcgan_upsamplings(size: int) -> tuple[int, int]:
    """``(start, n)`` with ``size == start * 2**n``, 3 <= start <= 7, n >= 1.

    Raises:
      ValueError: If `size` has no such form (e.g. 30 or 100).
    """
    n, start = 0, size
    while start > 7 and start % 2 == 0:
        start, n = start // 2, n + 1
    if n == 0 and start % 2 == 0 and start >= 6:
        start, n = start // 2, 1
    if n == 0 or not 3 <= start <= 7:
        raise ValueError(
            f"the dcgan model needs image_size = s * 2**n with 3 <= s <= 7 and n >= 1 "
            f"(e.g. 8, 16, 28, 32, 64), got {size}."
        )
    return start, n
