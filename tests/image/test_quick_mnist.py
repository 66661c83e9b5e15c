"""The quick_mnist preset resolves into the image family with the simultaneous update."""

from tfgan import config
from tfgan.families.image.params import ImageParams


def test_quick_mnist_resolves():
    c = config.resolve("quick_mnist")
    assert isinstance(c.params, ImageParams)
    assert c.params.update == "simultaneous" and c.params.d_steps == 1
    assert c.params.model == "dcgan" and c.params.dataset == "tfds:mnist"
    assert 0 < c.params.ema_decay < 1
    assert c.run.steps and c.run.batch_size == 64
    # A flag overrides the preset's update.
    assert config.resolve("quick_mnist", update="alternating").params.update == "alternating"


def test_other_presets_keep_algorithm_1():
    for preset in ("default", "paper_mnist", "dcgan_mnist", "sngan_cifar10"):
        assert config.resolve(preset).params.update == "alternating"
