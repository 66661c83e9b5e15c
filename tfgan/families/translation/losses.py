"""The losses of CycleGAN and pix2pix, as pure functions.

The adversarial terms reuse `tfgan.losses`: CycleGAN's least-squares GAN
(Mao et al. 2017) and pix2pix's non-saturating one (Goodfellow et al.
2014). The reference code's weights are kept exactly: its G loss is
``MSE(D(G(x)), 1)`` (twice tfgan's ``least_squares_generator_loss``, which
carries LSGAN's 1/2) and its D losses are halved (``(real + fake) * 0.5``).
"""

from __future__ import annotations

from keras import ops

from tfgan import losses


def l1(x, y):
    """Mean absolute difference, the L1 of the papers' cycle, identity and pix2pix terms."""
    return ops.mean(ops.abs(ops.cast(x, "float32") - ops.cast(y, "float32")))


def cycle_loss(real, reconstructed):
    """||F(G(x)) - x||_1, the cycle-consistency loss (Zhu et al. 2017, eq. 2), as a mean."""
    return l1(real, reconstructed)


def identity_loss(real, mapped):
    """||G(y) - y||_1 for y already in G's target domain (Zhu et al. 2017, sec. 5.2; Taigman et al. 2017)."""
    return l1(real, mapped)


def cyclegan_generator_loss(fake_scores):
    """E[(D(G(x)) - 1)^2]: one direction's adversarial term of G (Zhu et al. 2017, eq. 1 with LSGAN, sec. 4)."""
    return 2.0 * losses.least_squares_generator_loss(fake_scores)


def cyclegan_discriminator_loss(real_scores, fake_scores):
    """(E[(D(y) - 1)^2] + E[D(G(x))^2]) / 2: D's LSGAN loss, halved as in the paper (sec. 4)."""
    return losses.least_squares_discriminator_loss(real_scores, fake_scores)


def pix2pix_generator_loss(fake_logits, target, output, lambda_l1):
    """-E[log D(x, G(x))] + lambda E||y - G(x)||_1 (Isola et al. 2017, eq. 4, non-saturating form)."""
    return losses.non_saturating_generator_loss(fake_logits) + lambda_l1 * l1(target, output)


def pix2pix_discriminator_loss(real_logits, fake_logits):
    """D's cross-entropy on (x, y) vs (x, G(x)), halved "to slow D down" (Isola et al. 2017, sec. 3.3)."""
    return 0.5 * losses.non_saturating_discriminator_loss(real_logits, fake_logits)
