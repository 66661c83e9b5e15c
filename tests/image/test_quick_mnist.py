"""The presets that train with the simultaneous update (quick_mnist, paper_mnist) and those that keep Algorithm 1."""

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


def test_quick_mnist_bf16_is_quick_mnist_in_bfloat16_at_a_higher_rate():
    base, fast = config.resolve("quick_mnist"), config.resolve("quick_mnist_bf16")
    assert fast.run.mixed_precision and fast.run.mixed_dtype == "bfloat16"
    assert not base.run.mixed_precision
    assert fast.params.lr == 5e-4 and base.params.lr == 2e-4
    assert fast.run.steps > base.run.steps
    same = ("model", "loss", "update", "dataset", "ema_decay", "beta_1")
    assert all(getattr(fast.params, f) == getattr(base.params, f) for f in same)


def test_other_presets_keep_algorithm_1():
    for preset in ("default", "dcgan_mnist", "sngan_cifar10"):
        assert config.resolve(preset).params.update == "alternating"


def test_paper_mnist_updates_as_the_released_code():
    """paper_mnist collapsed under Algorithm 1 in 3 of 5 seeds; the released code's update order did not."""
    params = config.resolve("paper_mnist").params
    assert params.update == "simultaneous" and params.d_steps == 1 and params.model == "mlp"
    assert config.resolve("paper_mnist", update="alternating").params.update == "alternating"
