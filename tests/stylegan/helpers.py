"""Tiny StyleGAN2 settings shared by the tests: 16x16 digits, 4-8 feature maps, batch 4."""

from __future__ import annotations

import keras
import numpy as np

from tfgan.families.stylegan import trainer
from tfgan.families.stylegan.params import StyleGANParams

TINY_FIELDS = dict(
    dataset="digits",
    image_size=16,
    channels=1,
    latent_dim=8,
    w_dim=8,
    mapping_layers=2,
    channel_base=64,
    channel_max=8,
)
# The same as command-line flags (with the run's batch and a short schedule).
TINY_FLAGS = tuple(f"--{k}={v}" for k, v in TINY_FIELDS.items()) + ("--preset=stylegan2_mnist32", "--batch_size=4")


def tiny_params(**overrides) -> StyleGANParams:
    return StyleGANParams(**{**TINY_FIELDS, **overrides})


def tiny_model(seed=0, **overrides):
    """A compiled tiny `StyleGAN2` (optimisers built) and its params."""
    params = tiny_params(**overrides)
    keras.utils.set_random_seed(seed)
    model = trainer.build_model(params, seed)
    model.compile(*trainer.make_optimizers(params))
    model.build_optimizers()
    return model, params


def real_batch(n=4, size=16, seed=0) -> dict:
    """A train-stream element of `n` random images in [-1, 1] (``group=1``)."""
    x = np.random.default_rng(seed).uniform(-1, 1, (1, n, size, size, 1)).astype("float32")
    return {"image": x, "label": np.zeros((1, n), "int32")}


def values(variables) -> list[np.ndarray]:
    return [np.array(v) for v in variables]


def changed(before, after) -> list[bool]:
    return [not np.array_equal(a, b) for a, b in zip(before, after, strict=True)]
