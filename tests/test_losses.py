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


@pytest.mark.parametrize("family", losses.LOSS_FAMILIES)
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
