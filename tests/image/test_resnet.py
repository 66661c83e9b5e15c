"""--model=resnet: SNGAN's ResNet generator and discriminator."""

import keras
import numpy as np
import pytest

from tests._util import tiny_config
from tfgan import training
from tfgan.errors import ConfigError
from tfgan.families.image import export as exporting
from tfgan.families.image import networks


@pytest.mark.parametrize("size", [8, 16, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(size, channels):
    nets = networks.build("resnet", 16, (size, size, channels))
    z = np.random.default_rng(0).normal(size=(2, 16)).astype(np.float32)
    images = nets.generator(z, training=False)
    assert images.shape == (2, size, size, channels)
    assert np.all(np.abs(images) <= 1.0)  # tanh
    assert nets.discriminator(images, training=False).shape == (2, 1)
    cond = networks.build("resnet", 16, (size, size, channels), num_classes=3, spectral_norm=True)
    labels = np.array([0, 2], np.int32)
    images = np.asarray(cond.generator([z, labels], training=False))
    assert images.shape == (2, size, size, channels)
    assert cond.discriminator([images, labels], training=False).shape == (2, 1)


def test_parameter_count_is_sngans_cifar10_layout():
    nets = networks.build("resnet", 128, (32, 32, 3))

    def conv(k, cin, cout):
        return k * k * cin * cout + cout

    bn = 4 * 256  # gamma, beta, moving mean and variance
    g_block = 2 * bn + 2 * conv(3, 256, 256) + conv(1, 256, 256)
    g = (128 * 4 * 4 * 256 + 4 * 4 * 256) + 3 * g_block + bn + conv(3, 256, 3)
    first = conv(3, 3, 128) + conv(3, 128, 128) + conv(1, 3, 128)
    down = 2 * conv(3, 128, 128) + conv(1, 128, 128)
    plain = 2 * conv(3, 128, 128)  # identity shortcut
    d = first + down + 2 * plain + (128 + 1)
    assert nets.generator.count_params() == g  # about 4.3M, as SNGAN's
    assert nets.discriminator.count_params() == d  # about 1.05M


def test_spectral_norm_wraps_every_discriminator_layer_with_a_kernel():
    plain = networks.build("resnet", 16, (16, 16, 3))
    sn = networks.build("resnet", 16, (16, 16, 3), spectral_norm=True)
    kernels = [la for la in plain.discriminator._flatten_layers() if hasattr(la, "kernel")]
    wrapped = [la for la in sn.discriminator._flatten_layers() if isinstance(la, keras.layers.SpectralNormalization)]
    assert len(kernels) == len(wrapped) == 1 + 2 + 1 + 2 + 2  # first block 3, 2 plain blocks 4, dense 1
    assert not any(isinstance(la, keras.layers.BatchNormalization) for la in sn.discriminator._flatten_layers())


def test_odd_sizes_are_refused_with_the_rule(tmp_path):
    with pytest.raises(ConfigError, match="image_size = s \\* 2\\*\\*n"):
        training.train(tiny_config(tmp_path, model="resnet", image_size=30), verbose=0)


@pytest.mark.parametrize("conditional", [False, True])
def test_resnet_trains_and_exports(tmp_path, conditional):
    config = tiny_config(tmp_path, model="resnet", steps=2, conditional=conditional, spectral_norm=conditional)
    result = training.train(config, verbose=0)
    assert result.step == 2 and np.isfinite(result.logs["d_loss"]) and np.isfinite(result.logs["g_loss"])
    labels = [1, 8] if conditional else None
    images = exporting.sample_images(result.export_dir, [0, 1], labels)
    assert images.shape == (2, 8, 8, 1) and images.dtype == np.uint8


def test_sngan_cifar10_preset_fails_clearly_without_the_data(tmp_path):
    import pipelines
    from tfgan import config as config_lib

    config = config_lib.resolve("sngan_cifar10", data_dir=str(tmp_path / "tfds"), model_dir=str(tmp_path / "run"))
    assert (config.model, config.spectral_norm, config.d_steps, config.batch_size) == ("resnet", True, 5, 64)
    assert (config.lr, config.beta_1, config.latent_dim) == (2e-4, 0.0, 128)
    with pytest.raises(pipelines.PipelineError, match="tfds:cifar10: not prepared in the data directory"):
        training.train(config, verbose=0)


def test_cgan_mnist_preset_is_conditional():
    from tfgan import config as config_lib

    config = config_lib.resolve("cgan_mnist")
    assert config.conditional and config.dataset == "tfds:mnist" and config.model == "dcgan"
