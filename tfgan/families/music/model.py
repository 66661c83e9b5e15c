"""`MuseGAN`: a `keras.Model` whose `train_step` is WGAN-GP over multitrack piano-rolls."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tfgan import distribute, ema, losses, precision, regularizers, steps
from tfgan.families.music import networks
from tfgan.families.music.params import MusicParams

# Bits of `MuseGAN.nonfinite` (`tfgan.steps.apply_if_finite`).
NONFINITE_BITS = {1: "d_loss", 2: "D's gradients", 4: "g_loss", 8: "G's gradients"}
METRIC_NAMES = ("d_loss", "g_loss", "gp", "critic_real", "critic_fake", "d_grad_norm", "g_grad_norm")


def musegan_discriminator_loss(real_scores, fake_scores):
    """The critic's WGAN loss, E[D(G(z))] - E[D(x)] (Dong et al. 2018, sec. 4.2: WGAN-GP, eq. 2)."""
    return losses.wasserstein_discriminator_loss(real_scores, fake_scores)


def musegan_generator_loss(fake_scores):
    """G's WGAN loss, -E[D(G(z))] (Dong et al. 2018, sec. 4.2)."""
    return losses.wasserstein_generator_loss(fake_scores)


class MuseGAN(keras.Model):
    """MuseGAN's generator and critic trained by WGAN-GP (Gulrajani et al. 2017, Algorithm 1).

    `train_step` runs `d_steps` critic updates, each on its own real
    minibatch and fresh noise with G fixed, with the gradient penalty
    weighted by `gp_weight`, then one generator update on fresh noise with
    D fixed. The data is ``{"pianoroll": float32 [k, B, bars, steps,
    pitches, tracks]}`` (`pipelines.pianoroll.make_pianoroll_dataset` with
    ``group=k``) in the generator's output range; under several replicas
    the rolls alone laid out [B, k, ...].
    For a conditional (accompaniment) model the given tracks of each real
    minibatch condition the fakes it is compared with; G's step takes them
    from the last minibatch.

    Args:
      params: The `MusicParams` (model, latent sizes, d_steps, gp_weight,
        ema_decay, conditional tracks).
      seed: Seed of the noise and penalty `keras.random.SeedGenerator`s.
    """

    def __init__(self, params: MusicParams, *, seed=None, generator=None, discriminator=None, **kwargs):
        super().__init__(**kwargs)
        self.params = params
        self.generator = generator or networks.build_generator(params)
        self.discriminator = discriminator or networks.build_discriminator(params)
        self.latent_shapes = networks.latent_shapes(params)
        self.d_steps = params.d_steps
        self.gp_weight = float(params.gp_weight)
        self.condition_indices = list(params.condition_indices)
        self.seed_generator = keras.random.SeedGenerator(seed)
        # The penalty draws from its own stream, so that turning it on leaves G's noise as it was.
        self.penalty_seed = keras.random.SeedGenerator(None if seed is None else seed + 1)
        self.ema_decay = float(params.ema_decay)
        self.ema_generator = None
        if self.ema_decay:
            self.ema_generator = networks.build_generator(params)
            ema.restart(self.ema_generator, self.generator)
        steps.add_step_counters(self, NONFINITE_BITS)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES if name != "gp" or self.gp_weight}
        self.built = True

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Configures training with each player's optimiser (Adam(1e-3, 0.5, 0.9) in the paper)."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def build_optimizers(self):
        """Creates optimizer slots now, so a checkpoint can be restored into them."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def sampling_generator(self):
        """The generator to sample, evaluate and export: the EMA one when kept."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def sample_latents(self, batch_size):
        """Fresh noise {name: [batch_size, *shape]} (standard normal) from the model's seeded stream."""
        return {
            name: distribute.replica_slice(
                lambda n, shape=shape: keras.random.normal((n, *shape), seed=self.seed_generator), batch_size
            )
            for name, shape in self.latent_shapes.items()
        }

    def _inputs(self, batch_size, real=None):
        inputs = self.sample_latents(batch_size)
        if self.condition_indices:
            inputs["condition"] = ops.take(real, self.condition_indices, axis=-1)
        return inputs

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def train_step(self, data):
        # Under several replicas the element is the rolls alone, [B, k, ...] (`trainer.distributed`).
        rolls = data["pianoroll"] if isinstance(data, dict) else ops.swapaxes(data, 0, 1)
        batch_size = ops.shape(rolls)[1]
        self.nonfinite.assign(0)
        scalers = [o for o in (self.d_optimizer, self.g_optimizer) if precision.scales_losses(o)]
        if not all(o.built for o in scalers):
            self.build_optimizers()
        state = precision.snapshot(self._step_state()) if scalers else None
        overflow = False
        for i in range(self.d_steps):  # a Python loop over a fixed k: unrolled once at trace time
            overflow = ops.logical_or(overflow, self.d_step(rolls[i]))
        overflow = ops.logical_or(overflow, self.g_step(batch_size, rolls[self.d_steps - 1], skip=overflow))
        if scalers:
            precision.end_step(overflow, state, scalers)
        distribute.average_moving_statistics(self.generator, self.discriminator)
        self.step.assign_add(1)
        return distribute.step_metrics({name: tracker.result() for name, tracker in self.trackers.items()})

    def _step_state(self):
        """What a step changes before G's update is decided (restored on a loss-scale overflow)."""
        ema_variables = self.ema_generator.variables if self.ema_generator is not None else []
        return (
            self.discriminator.variables
            + precision.unscaled(self.d_optimizer).variables
            + self.generator.non_trainable_variables
            + ema_variables
        )

    def _critic(self, rolls):
        return self.discriminator(rolls, training=True)

    def d_step(self, real):
        """One critic update on the real minibatch `real` [B, bars, steps, pitches, tracks] and fresh fakes.

        Returns:
          Whether the scaled gradients overflowed (`tfgan.steps.update`).
        """
        n = ops.shape(real)[0]
        fake = self.generator(self._inputs(n, real), training=True)
        with tf.GradientTape() as tape:
            real_scores, fake_scores = self._critic(real), self._critic(fake)
            loss = musegan_discriminator_loss(real_scores, fake_scores)
            total = loss
            if self.gp_weight:
                # Under replicas: this replica's rows of one draw, as for the noise.
                alpha = distribute.replica_slice(
                    lambda m: regularizers.interpolation_alpha(m, len(real.shape), seed=self.penalty_seed), n
                )
                gp = regularizers.gradient_penalty(self._critic, real, fake, alpha)
                self.trackers["gp"].update_state(gp)
                total = total + self.gp_weight * gp
            scaled = self.d_optimizer.scale_loss(total)  # identity without loss scaling
        variables = self.discriminator.trainable_variables
        grad_norm, overflow = steps.update(
            self, self.d_optimizer, tape.gradient(scaled, variables), variables, total, loss_bit=1
        )
        t = self.trackers
        t["d_loss"].update_state(loss)
        t["critic_real"].update_state(ops.mean(ops.cast(real_scores, "float32")))
        t["critic_fake"].update_state(ops.mean(ops.cast(fake_scores, "float32")))
        t["d_grad_norm"].update_state(grad_norm)
        return overflow

    def g_step(self, batch_size, real, skip=False):
        """One generator update on fresh noise (conditioned on `real`'s given tracks when conditional).

        Returns:
          Whether the scaled gradients overflowed.
        """
        inputs = self._inputs(batch_size, real)
        with tf.GradientTape() as tape:
            loss = musegan_generator_loss(self._critic(self.generator(inputs, training=True)))
            scaled = self.g_optimizer.scale_loss(loss)
        variables = self.generator.trainable_variables
        grad_norm, overflow = steps.update(
            self, self.g_optimizer, tape.gradient(scaled, variables), variables, loss, loss_bit=4, skip=skip
        )
        if self.ema_generator is not None:
            ema.update(self.ema_generator, self.generator, self.ema_decay, reduce=distribute.all_mean)
        self.trackers["g_loss"].update_state(loss)
        self.trackers["g_grad_norm"].update_state(grad_norm)
        return overflow


def make_optimizers(params: MusicParams):
    """The two Adam optimisers of MuseGAN (lr 1e-3, beta 0.5/0.9 by default)."""

    def adam(name):
        return keras.optimizers.Adam(params.learning_rate, beta_1=params.beta_1, beta_2=params.beta_2, name=name)

    return adam("d_optimizer"), adam("g_optimizer")


def binarize(rolls, params: MusicParams, seed=None):
    """Generator output -> uint8 0/1 notes: at the range's midpoint, or Bernoulli draws when ``params.binarize``.

    Args:
      rolls: float [N, bars, steps, pitches, tracks] in the output range.
      seed: For Bernoulli sampling: a stateless seed (int [2] tensor) or a
        `keras.random.SeedGenerator`.
    """
    low, high = params.value_range
    prob = (ops.cast(rolls, "float32") - low) / (high - low)
    if params.binarize == "bernoulli":
        if isinstance(seed, keras.random.SeedGenerator) or seed is None:
            u = keras.random.uniform(ops.shape(prob), seed=seed)
        else:
            u = tf.random.stateless_uniform(tf.shape(prob), seed)
        return ops.cast(u < prob, "uint8")
    return ops.cast(prob > 0.5, "uint8")
