"""A tiny trained StyleGAN2 run shared by the export and --init_from tests (trained once per session)."""

import keras
import pytest

from tests.stylegan.helpers import TINY_FIELDS
from tfgan import config as config_lib
from tfgan import training


def tiny_config(model_dir, **overrides):
    """The `tfgan.config.Config` of a tiny StyleGAN2 run in `model_dir` (R1 and path length off: a quick trace)."""
    values = dict(
        TINY_FIELDS,
        batch_size=4,
        steps=2,
        checkpoint_every=2,
        log_every=1,
        r1_gamma=0.0,
        ema_decay=0.9,
        model_dir=str(model_dir),
    )
    values.update(overrides)
    return config_lib.resolve("stylegan2_mnist32", **values)


@pytest.fixture(autouse=True)
def _seeded():
    """Every test's random weights are the same whatever ran before it."""
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """Domain A: 2 steps on the digits, exported."""
    return training.train(tiny_config(tmp_path_factory.mktemp("domain_a")), verbose=0)
