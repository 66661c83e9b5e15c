"""A tiny StyleGAN2 run and a tiny pSp encoder of it, trained once per session (16 px, W+ 6 x 8)."""

import keras
import pytest

from tests._torch_reference import reference_state
from tests.stylegan.conftest import tiny_config as stylegan_config
from tfgan import config as config_lib
from tfgan import training
from tfgan.torchweights import write_state

TINY_ENCODER = dict(dataset="digits", encoder_width=4, encoder_max=8, encoder_blocks=1, batch_size=4, log_every=1)


def psp_config(model_dir, generator, **overrides):
    """The `tfgan.config.Config` of a tiny pSp run of `generator` in `model_dir` (2 steps)."""
    values = dict(TINY_ENCODER, generator=str(generator), steps=2, checkpoint_every=2, model_dir=str(model_dir))
    values.update(overrides)
    return config_lib.resolve("psp_mnist32", **values)


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session")
def generator_run(tmp_path_factory):
    """Domain A's StyleGAN2: 2 steps on the digits, exported."""
    return training.train(stylegan_config(tmp_path_factory.mktemp("g_a")), verbose=0)


@pytest.fixture(scope="session")
def encoder_run(generator_run, tmp_path_factory):
    """A's encoder: 2 steps, exported."""
    return training.train(psp_config(tmp_path_factory.mktemp("enc_a"), generator_run.config.model_dir), verbose=0)


@pytest.fixture(scope="session")
def arcface_state():
    """ArcFace IR-SE50's state dict with the seeded weights of tests/fixtures/torch_references.json."""
    return reference_state("arcface")


@pytest.fixture(scope="session")
def weights_files(tmp_path_factory, arcface_state):
    """The seeded VGG LPIPS and ArcFace states as the .npz files a user passes (``lpips``, ``id``)."""
    out = tmp_path_factory.mktemp("weights")
    files = {"lpips": str(out / "lpips_vgg.npz"), "id": str(out / "ir_se50.npz")}
    write_state(reference_state("lpips_vgg"), files["lpips"])
    write_state(arcface_state, files["id"])
    return files
