import numpy as np

from tfgan.families.translation import losses


def test_cycle_and_identity_losses_are_mean_absolute_differences():
    x = np.array([[0.0, 1.0], [-1.0, 0.5]], np.float32)
    y = np.array([[0.5, 1.0], [1.0, 0.0]], np.float32)
    expected = (0.5 + 0.0 + 2.0 + 0.5) / 4
    np.testing.assert_allclose(float(losses.cycle_loss(x, y)), expected, rtol=1e-6)
    np.testing.assert_allclose(float(losses.identity_loss(x, y)), expected, rtol=1e-6)
    assert float(losses.cycle_loss(x, x)) == 0.0


def test_cyclegan_adversarial_losses_are_the_reference_mse():
    real, fake = np.array([0.5, 1.5], np.float32), np.array([0.2, -0.4], np.float32)
    # G: MSE(D(G(x)), 1); D: (MSE(D(y), 1) + MSE(D(G(x)), 0)) / 2.
    np.testing.assert_allclose(float(losses.cyclegan_generator_loss(fake)), ((0.8**2) + (1.4**2)) / 2, rtol=1e-6)
    d = (((0.5**2) + (0.5**2)) / 2 + ((0.2**2) + (0.4**2)) / 2) / 2
    np.testing.assert_allclose(float(losses.cyclegan_discriminator_loss(real, fake)), d, rtol=1e-6)


def test_pix2pix_losses():
    logits = np.array([0.3, -2.0], np.float32)
    target, output = np.zeros((1, 2), np.float32), np.array([[0.5, -0.5]], np.float32)
    adv = np.mean(np.log1p(np.exp(-logits)))  # -log sigmoid(l)
    np.testing.assert_allclose(
        float(losses.pix2pix_generator_loss(logits, target, output, 100.0)), adv + 100 * 0.5, rtol=1e-5
    )
    real, fake = np.array([1.0], np.float32), np.array([-1.0], np.float32)
    d = 0.5 * (np.log1p(np.exp(-1.0)) + np.log1p(np.exp(-1.0)))
    np.testing.assert_allclose(float(losses.pix2pix_discriminator_loss(real, fake)), d, rtol=1e-5)
