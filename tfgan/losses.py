"""GAN losses: pure functions of discriminator logits.

Every family provides ``<family>_discriminator_loss(real_logits,
fake_logits)`` and ``<family>_generator_loss(fake_logits)``, each returning
a scalar to *minimise*. `get_loss` looks a family up by name. D's output
probability is ``sigmoid(logit)``; the losses are written with softplus,
``log sigmoid(l) = -softplus(-l)`` and ``log(1 - sigmoid(l)) =
-softplus(l)``, so they stay finite when D saturates at 0 or 1.
"""

from __future__ import annotations

from keras import ops

LOSS_FAMILIES = ("minimax", "non_saturating")


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


def get_loss(name: str):
    """Looks up a loss family.

    Args:
      name: One of `LOSS_FAMILIES`.

    Returns:
      ``(discriminator_loss, generator_loss)`` functions.

    Raises:
      ValueError: Unknown family; the message lists the known ones.
    """
    d_fn = globals().get(f"{name}_discriminator_loss")
    g_fn = globals().get(f"{name}_generator_loss")
    if name not in LOSS_FAMILIES or d_fn is None or g_fn is None:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(LOSS_FAMILIES)}.")
    return d_fn, g_fn
