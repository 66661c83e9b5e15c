import math

import numpy as np
import pytest

from tfgan import losses

LOG = math.log
# D(x) = sigmoid(logit): logit 0 -> 1/2, logit log 3 -> 3/4, logit -log 3 -> 1/4.
REAL = np.array([0.0, math.log(3.0)], np.float32)
FAKE = np.array([0.0, -math.log(3.0)], np.float32)


def test_value_function_by_hand():
    # E log D(x) = (log .5 + log .75)/2 ; E log(1 - D(G(z))) = (log .5 + log .75)/2
    expected = (LOG(0.5) + LOG(0.75)) / 2 + (LOG(0.5) + LOG(0.75)) / 2
    assert float(losses.value_function(REAL, FAKE)) == pytest.approx(expected, rel=1e-6)


def test_value_at_equilibrium_is_minus_log_4():
    zeros = np.zeros([5], np.float32)
    assert float(losses.value_function(zeros, zeros)) == pytest.approx(-LOG(4.0), rel=1e-6)


def test_minimax_losses_by_hand():
    d = float(losses.minimax_discriminator_loss(REAL, FAKE))
    assert d == pytest.approx(-((LOG(0.5) + LOG(0.75)) / 2 + (LOG(0.5) + LOG(0.75)) / 2), rel=1e-6)
    # G minimises E log(1 - D(G(z))): D(G(z)) = 1/2 and 1/4.
    g = float(losses.minimax_generator_loss(FAKE))
    assert g == pytest.approx((LOG(0.5) + LOG(0.75)) / 2, rel=1e-6)


def test_non_saturating_losses_by_hand():
    d = float(losses.non_saturating_discriminator_loss(REAL, FAKE))
    assert d == pytest.approx(float(losses.minimax_discriminator_loss(REAL, FAKE)), rel=1e-7)
    # G minimises -E log D(G(z)): D(G(z)) = 1/2 and 1/4.
    g = float(losses.non_saturating_generator_loss(FAKE))
    assert g == pytest.approx(-(LOG(0.5) + LOG(0.25)) / 2, rel=1e-6)


@pytest.mark.parametrize("family", ["minimax", "non_saturating"])
def test_losses_finite_when_d_saturates(family):
    d_fn, g_fn = losses.get_loss(family)
    big = np.array([200.0, -200.0], np.float32)
    assert np.isfinite(float(d_fn(big, big)))
    assert np.isfinite(float(g_fn(big)))
    # D certain and right: its loss is ~0; G's non-saturating loss is ~200.
    assert float(d_fn(np.float32([200.0]), np.float32([-200.0]))) == pytest.approx(0.0, abs=1e-6)


def test_minimax_generator_gradient_saturates_but_non_saturating_does_not():
    import tensorflow as tf

    logits = tf.constant([-8.0])  # D confidently rejects the fake
    grads = {}
    for family in ("minimax", "non_saturating"):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            loss = losses.get_loss(family)[1](logits)
        grads[family] = abs(float(tape.gradient(loss, logits)[0]))
    assert grads["minimax"] < 1e-3 < 0.99 < grads["non_saturating"]


def test_unknown_loss_names_the_choices():
    with pytest.raises(ValueError, match="minimax, non_saturating"):
        losses.get_loss("wasserstein_typo")


# Critic scores for the families that read D's output as a raw score.
CRITIC_REAL = np.array([2.0, -0.5, 0.5], np.float32)
CRITIC_FAKE = np.array([-3.0, 0.0], np.float32)


def test_wasserstein_losses_by_hand():
    # mean(fake) - mean(real) = -1.5 - 2/3
    d = float(losses.wasserstein_discriminator_loss(CRITIC_REAL, CRITIC_FAKE))
    assert d == pytest.approx(-1.5 - 2.0 / 3.0, rel=1e-6)
    assert float(losses.wasserstein_generator_loss(CRITIC_FAKE)) == pytest.approx(1.5, rel=1e-6)


def test_hinge_losses_by_hand():
    # relu(1 - real) = [0, 1.5, 0.5] -> 2/3; relu(1 + fake) = [0, 1] -> 1/2
    d = float(losses.hinge_discriminator_loss(CRITIC_REAL, CRITIC_FAKE))
    assert d == pytest.approx(2.0 / 3.0 + 0.5, rel=1e-6)
    assert float(losses.hinge_generator_loss(CRITIC_FAKE)) == pytest.approx(1.5, rel=1e-6)


def test_least_squares_losses_by_hand():
    # (real - 1)^2 = [1, 2.25, 0.25] -> 7/6; fake^2 = [9, 0] -> 4.5; both halved
    d = float(losses.least_squares_discriminator_loss(CRITIC_REAL, CRITIC_FAKE))
    assert d == pytest.approx(0.5 * 7.0 / 6.0 + 0.5 * 4.5, rel=1e-6)
    # (fake - 1)^2 = [16, 1] -> 8.5, halved
    assert float(losses.least_squares_generator_loss(CRITIC_FAKE)) == pytest.approx(4.25, rel=1e-6)


@pytest.mark.parametrize("name", losses.LOSSES)
def test_every_loss_is_looked_up_by_name(name):
    d_fn, g_fn = losses.get_loss(name)
    assert d_fn is getattr(losses, f"{name}_discriminator_loss")
    assert g_fn is getattr(losses, f"{name}_generator_loss")
    assert np.isfinite(float(d_fn(CRITIC_REAL, CRITIC_FAKE))) and np.isfinite(float(g_fn(CRITIC_FAKE)))
