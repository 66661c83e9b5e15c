"""GAN losses: pure functions of discriminator logits.

Every loss provides ``<name>_discriminator_loss(real_logits,
fake_logits)`` and ``<name>_generator_loss(fake_logits)``, each returning
a scalar to *minimise*. `get_loss` looks one up by name. D's output
probability is ``sigmoid(logit)``; the losses are written with softplus,
``log sigmoid(l) = -softplus(-l)`` and ``log(1 - sigmoid(l)) =
-softplus(l)``, so they stay finite when D saturates at 0 or 1.

The ``wasserstein``, ``hinge`` and ``least_squares`` losses read the
same output as an unbounded critic score, not as a probability: for them
``sigmoid(logit)`` (the ``d_real``/``d_fake`` metrics) only says which side
of 0 a score lies, and the raw means are logged as ``critic_real``/
``critic_fake``.
"""

from __future__ import annotations

from keras import ops

LOSSES = ("minimax", "non_saturating", "wasserstein", "hinge", "least_squares")
# Families whose D output is a logit of a probability (the 2014 equilibrium
# D = 1/2, V = -log 4 applies to them only).
PROBABILISTIC_LOSSES = ("minimax", "non_saturating")


def value_function(real_logits, fake_logits):
    """V(D, G) of Goodfellow et al. 2014, eq. 1, estimated on a minibatch.

    ``V = E_x[log D(x)] + E_z[log(1 - D(G(z)))]``; at the game's
    equilibrium, D = 1/2 everywhere and V = -log 4.
    """
    return -ops.mean(ops.softplus(-real_logits)) - ops.mean(ops.softplus(fake_logits))


def minimax_discriminator_loss(real_logits, fake_logits):
    """-V(D, G): D ascends the value function (Goodfellow et al. 2014, eq. 1)."""
    return -value_function(real_logits, fake_logits)


def minimax_generator_loss(fake_logits):
    """E_z[log(1 - D(G(z)))]: G descends V, the saturating form.

    Goodfellow et al. 2014, eq. 1 and Algorithm 1. Its gradient vanishes
    when D confidently rejects the fakes, which is why the paper proposes
    the non-saturating variant.
    """
    return -ops.mean(ops.softplus(fake_logits))


def non_saturating_discriminator_loss(real_logits, fake_logits):
    """Same as the minimax one: only G's objective changes (Goodfellow et al. 2014, sec. 3)."""
    return minimax_discriminator_loss(real_logits, fake_logits)


def non_saturating_generator_loss(fake_logits):
    """-E_z[log D(G(z))]: G maximises log D(G(z)) (Goodfellow et al. 2014, sec. 3)."""
    return ops.mean(ops.softplus(-fake_logits))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """E[D(G(z))] - E[D(x)]: the critic's loss of WGAN.

    Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN", eq. 3 (the
    Kantorovich-Rubinstein dual, negated to be minimised). D must be kept
    near 1-Lipschitz, e.g. by the gradient penalty of Gulrajani et al. 2017
    (`tfgan.regularizers.gradient_penalty`, ``--gp_weight``).
    """
    return ops.mean(fake_logits) - ops.mean(real_logits)


def wasserstein_generator_loss(fake_logits):
    """-E[D(G(z))]: G raises the critic's score of its samples (Arjovsky et al. 2017, Algorithm 1)."""
    return -ops.mean(fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
    """E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]: the hinge loss of D.

    Lim & Ye 2017, "Geometric GAN"; Miyato et al. 2018, "Spectral
    Normalization for Generative Adversarial Networks", eq. 17.
    """
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    """-E[D(G(z))]: G's loss of the hinge GAN (Miyato et al. 2018, eq. 17)."""
    return -ops.mean(fake_logits)


def least_squares_discriminator_loss(real_logits, fake_logits):
    """1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]: LSGAN's D with a=0, b=1.

    Mao et al. 2017, "Least Squares Generative Adversarial Networks", eq. 2
    with the 0-1 coding (a=0 for fakes, b=1 for reals); D's output is the
    raw (linear) score, no sigmoid.
    """
    return 0.5 * ops.mean(ops.square(real_logits - 1.0)) + 0.5 * ops.mean(ops.square(fake_logits))


def least_squares_generator_loss(fake_logits):
    """1/2 E[(D(G(z)) - 1)^2]: LSGAN's G with c=1 (Mao et al. 2017, eq. 2)."""
    return 0.5 * ops.mean(ops.square(fake_logits - 1.0))


def get_loss(name: str):
    """Looks up a loss by name.

    Args:
      name: One of `LOSSES`.

    Returns:
      ``(discriminator_loss, generator_loss)`` functions.

    Raises:
      ValueError: Unknown loss; the message lists the known ones.
    """
    d_fn = globals().get(f"{name}_discriminator_loss")
    g_fn = globals().get(f"{name}_generator_loss")
    if name not in LOSSES or d_fn is None or g_fn is None:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(LOSSES)}.")
    return d_fn, g_fn
