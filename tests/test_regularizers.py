import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import regularizers
from tfgan.families.image.model import GAN

SHAPE = (2, 2, 1)
W = np.array([[0.5], [-1.0], [2.0], [0.25]], np.float32)  # ||W||^2 = 5.3125


def linear_d(kernel=W, bias=0.3):
    """D(x) = <W, x> + b: its input gradient is W everywhere."""
    d = keras.Sequential([keras.Input(SHAPE), keras.layers.Flatten(), keras.layers.Dense(1)])
    d.layers[-1].set_weights([kernel, np.array([bias], np.float32)])
    return d


def batch(seed, n=3):
    return tf.random.stateless_uniform([n, *SHAPE], [seed, 0], -1, 1)


def test_gradient_penalty_of_a_linear_d_by_hand():
    d = linear_d()
    alpha = regularizers.interpolation_alpha(3, 4, seed=0)
    gp = float(regularizers.gradient_penalty(d, batch(1), batch(2), alpha))
    assert gp == pytest.approx((np.sqrt(5.3125) - 1.0) ** 2, rel=1e-5)


def test_r1_penalty_of_a_linear_d_by_hand():
    assert float(regularizers.r1_penalty(linear_d(), batch(1))) == pytest.approx(5.3125, rel=1e-5)


def penalty_gradient(d, monkeypatch=None, eps=None):
    if eps is not None:
        monkeypatch.setattr(regularizers, "NORM_EPSILON", eps)
    with tf.GradientTape() as tape:
        gp = regularizers.gradient_penalty(d, batch(1), batch(2), tf.fill([3, 1, 1, 1], 0.5))
    # Only the kernel reaches the penalty: D's input gradient does not depend on the bias.
    return gp, tape.gradient(gp, d.layers[-1].kernel)


def test_zero_input_gradient_gives_a_finite_penalty_gradient(monkeypatch):
    d = linear_d(kernel=np.zeros_like(W))
    gp, grads = penalty_gradient(d)
    assert float(gp) == pytest.approx(1.0, abs=1e-5)  # (0 - 1)^2
    assert np.all(np.isfinite(grads.numpy()))
    # The epsilon is what keeps it finite: the plain sqrt(0) gives NaN.
    _, naive = penalty_gradient(d, monkeypatch, eps=0.0)
    assert np.any(np.isnan(naive.numpy()))


def test_alpha_is_uniform_per_example():
    alpha = regularizers.interpolation_alpha(20000, 4, seed=1).numpy()
    assert alpha.shape == (20000, 1, 1, 1)
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0  # a normal draw leaves [0, 1]
    assert alpha.mean() == pytest.approx(0.5, abs=0.01)
    assert alpha.var() == pytest.approx(1 / 12, abs=0.005)  # U(0,1); N(0,1) would give 1
    assert len(np.unique(alpha)) > 19000  # one coefficient per example


def tiny_gan(d, **extensions):
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4), keras.layers.Reshape(SHAPE)])
    gan = GAN(g, d, latent_dim=4, seed=0)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), loss="wasserstein", extensions=extensions)
    return gan


def test_weight_zero_leaves_the_d_step_unchanged():
    results = {}
    for name, extensions in (("none", {}), ("zero", dict(gp_weight=0.0, r1_gamma=0.0)), ("gp", dict(gp_weight=1.0))):
        gan = tiny_gan(linear_d(kernel=W * 0.1), **extensions)
        gan._d_step(batch(3))
        results[name] = [v.numpy().copy() for v in gan.discriminator.trainable_variables]
        assert ("gp" in gan.trackers) == (name == "gp")
    assert all(np.array_equal(a, b) for a, b in zip(results["none"], results["zero"], strict=True))
    assert not np.allclose(results["none"][0], results["gp"][0])


def test_lazy_r1_applies_on_every_interval_th_d_step_scaled_by_it():
    gan = tiny_gan(linear_d(), r1_gamma=2.0, r1_interval=3)
    added = [float(gan._d_penalties(batch(1), batch(2))) for _ in range(7)]
    full = 2.0 / 2 * 3 * 5.3125  # gamma/2 * interval * ||W||^2
    assert added == pytest.approx([full, 0, 0, full, 0, 0, full], rel=1e-5)
    assert int(gan.d_updates.numpy()) == 7
    # The r1 metric averages the steps that computed it.
    assert float(gan.trackers["r1"].result()) == pytest.approx(5.3125, rel=1e-5)


def test_gradient_penalty_trains_in_a_compiled_step():
    gan = tiny_gan(linear_d(), gp_weight=10.0)
    gan.d_steps = 2
    data = {"image": batch(4, n=4)[None].numpy().repeat(2, 0), "label": np.zeros([2, 4], np.int32)}
    ds = tf.data.Dataset.from_tensors(data).repeat()
    logs = gan.fit(ds, steps_per_epoch=2, epochs=1, verbose=0, shuffle=False).history
    assert np.isfinite(logs["gp"][-1]) and np.isfinite(logs["d_loss"][-1])
    assert int(gan.d_updates.numpy()) == 4
