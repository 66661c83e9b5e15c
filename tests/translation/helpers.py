"""Small builders shared by the translation tests."""

from __future__ import annotations

import numpy as np

from tests._util import ROOT, cli_env  # noqa: F401 (re-exported for the translation tests)
from tfgan.families.translation import build
from tfgan.families.translation.params import TranslationParams


def tiny_params(**overrides) -> TranslationParams:
    values = dict(
        domain_a="digits",
        domain_b="digits",
        image_size=8,
        channels=1,
        jitter=False,
        generator_filters=4,
        resnet_blocks=1,
        unet_depth=3,
        discriminator_filters=4,
        discriminator_layers=1,
        pool_size=4,
    )
    values.update(overrides)
    return TranslationParams(**values)


def tiny_cyclegan(**overrides):
    return build.build_model(tiny_params(**overrides), total_steps=10, steps_per_epoch=5, seed=0)


def tiny_pix2pix(**overrides):
    params = tiny_params(model="pix2pix", domain_a="pairs:unused", domain_b="", **overrides)
    return build.build_model(params, total_steps=10, steps_per_epoch=5, seed=0)


def batch(n=2, size=8, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(-1, 1, (n, size, size, channels)).astype(np.float32) for k in "ab"}


def values(variables):
    return [np.array(v.numpy()) for v in variables]


def changed(before, variables):
    return any(not np.array_equal(b, v.numpy()) for b, v in zip(before, variables, strict=True))
