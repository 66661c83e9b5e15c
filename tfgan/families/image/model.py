"""`GAN`: a `keras.Model` whose `train_step` plays Goodfellow et al.'s game."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tfgan import augment, distribute, ema, losses, precision, regularizers, steps
from tfgan.families.image.blocks import sample_noise
from tfgan.families.image.conditioning import with_labels
from tfgan.families.image.replicas import step_images

# Bits of `GAN.nonfinite`: which quantities of the last train step were NaN or
# infinite (their update was not applied).
NONFINITE_BITS = {1: "d_loss", 2: "D's gradients", 4: "g_loss", 8: "G's gradients"}

# Logged every step. d_real/d_fake are mean D(x) and D(G(z)); both are 1/2 at
# the paper's equilibrium, where value = V(D, G) = -log 4. critic_real/
# critic_fake are D's raw mean outputs (logits), the scores the wasserstein,
# hinge and least_squares losses read (for them d_real/d_fake only say on
# which side of 0 the scores lie).
METRIC_NAMES = (
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "value",
    "d_acc_real",
    "d_acc_fake",
    "d_grad_norm",
    "g_grad_norm",
    "critic_real",
    "critic_fake",
)


def can_fuse(discriminator) -> bool:
    """Whether D gives each image the same output in a joint real+fake batch.

    True unless some layer normalises over the batch (BatchNormalization in
    training mode mixes the statistics of real and fake images).
    """
    return not any(isinstance(layer, keras.layers.BatchNormalization) for layer in discriminator._flatten_layers())


def fuses_by_default(discriminator) -> bool:
    """Whether `GAN` fuses D's two passes when not told: where allowed (`can_fuse`) and measured faster.

    Measured with ``benchmarks/train_step.py --levers`` on a 2-core AVX2 CPU
    (README, Performance): for the dense `mlp` D one fused pass is 1.02x
    faster than two; for the convolutional `dcgan` D two passes are 1.03-1.07x
    faster. TensorFlow runs the two independent passes (and D's pass on the
    real images with G's forward pass) at the same time, and each
    convolution is large enough to use a core; with ``inter_op=1`` the fused
    pass wins there too (1.02x). So: fused unless D has convolutions.
    """
    convolutional = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
    return can_fuse(discriminator) and not any(
        isinstance(layer, convolutional) for layer in discriminator._flatten_layers()
    )


class GAN(keras.Model):
    """A generator and a discriminator trained by alternating updates.

    `train_step` runs Algorithm 1 of Goodfellow et al. 2014 ("Generative
    Adversarial Nets"): `d_steps` (the paper's k) discriminator updates, each
    on its own real minibatch and fresh noise with G fixed, then one
    generator update on fresh noise with D fixed.

    The data `train_step` receives is a dict ``{"image": float32 [k, B, H, W,
    C], "label": int32 [k, B]}`` (`pipelines.make_train_dataset` with
    ``group=k``), images in the generator's output range; under a
    `tf.distribute` strategy, the images alone laid out [B, k, H, W, C]
    (`tfgan.families.image.replicas.distributed`).

    Args:
      generator: z [B, latent_dim] -> images [B, H, W, C].
      discriminator: images -> logits [B, 1].
      latent_dim: Size of z.
      noise: Latent distribution, ``"uniform"`` or ``"normal"``.
      d_steps: k, discriminator updates per generator update.
      seed: Seed of the noise `keras.random.SeedGenerator`.
      num_classes: Class-conditional G and D (inputs ``[z, label]`` and
        ``[images, label]``): D sees real images with their batch labels and
        fakes with labels drawn uniformly over the classes, as does G's step.
        None (default): unconditional; the data's labels are then ignored.
      fuse_discriminator: Run D once over real and fake images concatenated
        in the D step (one pass of 2B images instead of two of B: fewer,
        larger kernels). Allowed when D has no BatchNormalization, whose
        batch statistics would otherwise mix real and fake (`can_fuse`);
        then D's outputs and gradients equal two passes' (dropout masks are
        drawn from the same distribution, in one draw instead of two). None
        (default): fused where that was measured faster (`fuses_by_default`).
    """

    def __init__(
        self,
        generator,
        discriminator,
        *,
        latent_dim,
        noise="normal",
        d_steps=1,
        seed=None,
        fuse_discriminator=None,
        num_classes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if d_steps < 1:
            raise ValueError(f"d_steps must be >= 1, got {d_steps}.")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.noise = noise
        self.d_steps = d_steps
        self.seed_generator = keras.random.SeedGenerator(seed)
        if fuse_discriminator is None:
            fuse_discriminator = fuses_by_default(discriminator)
        self.fuse_discriminator = bool(fuse_discriminator)
        self.num_classes = num_classes or None
        # step counts generator updates; a NaN/inf update is skipped and flagged
        # (NONFINITE_BITS) for `tfgan.run.callbacks.NanGuard`.
        steps.add_step_counters(self, NONFINITE_BITS)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self.built = True

    def compile(
        self,
        d_optimizer,
        g_optimizer,
        loss="non_saturating",
        *,
        extensions=None,
        **kwargs,
    ):
        """Configures training.

        Args:
          d_optimizer: Optimizer of the discriminator.
          g_optimizer: Optimizer of the generator.
          loss: A loss name of `tfgan.losses.LOSSES`.
          extensions: Keyword arguments of `_configure_extensions` (penalties,
            DiffAugment, EMA); None: all off.
          **kwargs: Passed to `keras.Model.compile` (e.g. ``jit_compile``,
            ``steps_per_execution``).
        """
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_name = loss
        self.d_loss_fn, self.g_loss_fn = losses.get_loss(loss)
        self._configure_extensions(**(extensions or {}))

    def build_optimizers(self):
        """Creates optimizer slots now, so a checkpoint can be restored into them."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample_latent(self, batch_size):
        """Fresh noise z [batch_size, latent_dim] from the model's seeded stream."""
        # Under replicas: this replica's slice of one draw for the global batch.
        return distribute.replica_slice(
            lambda n: sample_noise(self.noise, (n, self.latent_dim), seed=self.seed_generator), batch_size
        )

    def sample_labels(self, batch_size):
        """Class labels int32 [batch_size], uniform over the classes; None when unconditional."""
        if not self.num_classes:
            return None
        return keras.random.randint((batch_size,), 0, self.num_classes, seed=self.seed_generator, dtype="int32")

    def _generate(self, z, labels=None, training=False):
        """G(z), or G(z | labels) when conditional."""
        return self.generator(with_labels(z, labels), training=training)

    def _critic(self, images, labels=None, training=False):
        """D's logits of `images`, conditioned on `labels` when conditional."""
        return self.discriminator(with_labels(images, labels), training=training)

    def train_step(self, data):
        images = step_images(data)
        # Under several replicas the labels are not carried (training.train refuses
        # --conditional there), so only a dict element can hold them.
        labels = data["label"] if self.num_classes else None
        batch_size = ops.shape(images)[1]
        self.nonfinite.assign(0)
        # Under loss scaling (--mixed_precision) a step whose scaled gradients
        # overflow anywhere is skipped by both players: G's update is not
        # applied, and what the step changed before (D's k updates, which
        # G's loss needs, and the statistics) is restored.
        scalers = [o for o in (self.d_optimizer, self.g_optimizer) if precision.scales_losses(o)]
        if not all(o.built for o in scalers):
            self.build_optimizers()  # the scales must exist before the first scaled loss
        state = precision.snapshot(self._step_state()) if scalers else None
        overflow = False
        # A Python loop over a fixed k: unrolled once at trace time.
        for i in range(self.d_steps):
            if labels is None:  # the unconditional step's signature is unchanged
                d_overflow = self._d_step(images[i])
            else:
                d_overflow = self._d_step(images[i], labels[i])
            overflow = ops.logical_or(overflow, d_overflow)
        overflow = ops.logical_or(overflow, self._g_step(batch_size, skip=overflow))
        if scalers:
            precision.end_step(overflow, state, scalers)
        distribute.average_moving_statistics(self.generator, self.discriminator)
        self.step.assign_add(1)
        return distribute.step_metrics({name: tracker.result() for name, tracker in self.trackers.items()})

    def _d_step(self, real, real_labels=None):
        n = ops.shape(real)[0]
        fake_labels = self.sample_labels(n)
        fake = self._generate(self.sample_latent(n), fake_labels, training=True)
        real, fake = self._augment(real), self._augment(fake)
        with tf.GradientTape() as tape:
            real_logits, fake_logits = self._discriminate(real, fake, real_labels, fake_labels)
            loss = self.d_loss_fn(real_logits, fake_logits)
            # A conditional D is penalised at the real images' labels (for WGAN-GP's
            # interpolates too: the common choice of conditional WGAN-GP code).
            critic = None if real_labels is None else (lambda x: self._critic(x, real_labels, training=True))
            total = loss + self._d_penalties(real, fake, critic)
            # Identity unless the optimiser scales losses (--mixed_precision).
            scaled_loss = self.d_optimizer.scale_loss(total)
        variables = self.discriminator.trainable_variables
        grad_norm, overflow = steps.update(
            self, self.d_optimizer, tape.gradient(scaled_loss, variables), variables, total, loss_bit=1
        )
        self._track_d(loss, real_logits, fake_logits, grad_norm)
        return overflow

    def _step_state(self):
        """What a train step changes before G's update is decided, loss scales aside.

        D's variables and its optimiser's, G's non-trainable ones (BatchNorm
        statistics move in every forward pass) and the EMA generator's.
        """
        ema_variables = self.ema_generator.variables if self.ema_generator is not None else []
        return (
            self.discriminator.variables
            + precision.unscaled(self.d_optimizer).variables
            + self.generator.non_trainable_variables
            + ema_variables
        )

    def _discriminate(self, real, fake, real_labels=None, fake_labels=None):
        """D's logits on `real` and on `fake`, in one pass when fused."""
        if not self.fuse_discriminator:
            return self._critic(real, real_labels, training=True), self._critic(fake, fake_labels, training=True)
        n = ops.shape(real)[0]
        images = ops.concatenate([real, ops.cast(fake, real.dtype)], axis=0)
        labels = None if real_labels is None else ops.concatenate([real_labels, fake_labels], axis=0)
        logits = self._critic(images, labels, training=True)
        return logits[:n], logits[n:]

    def _g_step(self, batch_size, skip=False):
        z = self.sample_latent(batch_size)
        labels = self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            fake_logits = self._critic(self._augment(self._generate(z, labels, training=True)), labels, training=True)
            loss = self.g_loss_fn(fake_logits)
            scaled_loss = self.g_optimizer.scale_loss(loss)
        variables = self.generator.trainable_variables
        grad_norm, overflow = steps.update(
            self, self.g_optimizer, tape.gradient(scaled_loss, variables), variables, loss, loss_bit=4, skip=skip
        )
        self._update_ema()
        self.trackers["g_loss"].update_state(loss)
        self.trackers["g_grad_norm"].update_state(grad_norm)
        return overflow

    def _track_d(self, loss, real_logits, fake_logits, grad_norm):
        t = self.trackers
        t["d_loss"].update_state(loss)
        t["d_real"].update_state(ops.mean(ops.sigmoid(real_logits)))
        t["d_fake"].update_state(ops.mean(ops.sigmoid(fake_logits)))
        t["value"].update_state(losses.value_function(real_logits, fake_logits))
        t["d_acc_real"].update_state(ops.mean(ops.cast(real_logits > 0, "float32")))
        t["d_acc_fake"].update_state(ops.mean(ops.cast(fake_logits < 0, "float32")))
        t["d_grad_norm"].update_state(grad_norm)
        t["critic_real"].update_state(ops.mean(ops.cast(real_logits, "float32")))
        t["critic_fake"].update_state(ops.mean(ops.cast(fake_logits, "float32")))

    # --- Extensions of the 2014 GAN: penalties, DiffAugment, EMA. ---

    def _configure_extensions(
        self, gp_weight=0.0, r1_gamma=0.0, r1_interval=1, diffaugment=(), ema_decay=0.0, augment_seed=None
    ):
        """Sets up the optional parts of the game; each is off at its default.

        Args:
          gp_weight: lambda of the WGAN-GP gradient penalty
            (`regularizers.gradient_penalty`); logged as ``gp`` (unweighted).
          r1_gamma: gamma of the R1 penalty (`regularizers.r1_penalty`);
            logged as ``r1``, E||grad D(x)||^2 on the updates that compute it.
          r1_interval: Lazy R1: on every this-many-th D update, weight
            ``gamma / 2 * r1_interval``.
          diffaugment: DiffAugment transforms (`tfgan.augment`) applied to
            D's inputs, real and fake, in both steps.
          ema_decay: Keep ``ema_generator``, an exponential moving average of
            G's weights (`tfgan.ema`), used for sampling and export.
          augment_seed: Seed of DiffAugment's random parameters.
        """
        if r1_interval < 1:
            raise ValueError(f"r1_interval must be >= 1, got {r1_interval}.")
        self.gp_weight, self.r1_gamma, self.r1_interval = float(gp_weight), float(r1_gamma), int(r1_interval)
        self.ema_decay = float(ema_decay)
        self.augmenter = augment.DiffAugment(diffaugment, seed=augment_seed) if diffaugment else None
        # Counts D updates (checkpointed) for the lazy R1 schedule; the
        # penalties draw from a stream of their own, so that turning one on
        # leaves G's noise as it was.
        if not hasattr(self, "d_updates"):
            self.d_updates = self.add_weight(
                shape=(), dtype="int64", initializer="zeros", trainable=False, name="d_updates", **steps.REPLICATED
            )
            self.penalty_seed = keras.random.SeedGenerator(None if augment_seed is None else augment_seed + 1)
        for name, on in (("gp", self.gp_weight), ("r1", self.r1_gamma)):
            if on:
                self.trackers[name] = keras.metrics.Mean(name=name)
        self.ema_generator = ema.clone_generator(self.generator) if self.ema_decay else None

    @property
    def sampling_generator(self):
        """The generator to sample, evaluate and export: the EMA one when kept."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def _augment(self, images):
        return self.augmenter(images) if self.augmenter is not None else images

    def _d_penalties(self, real, fake, discriminate=None):
        """The weighted gradient penalties added to D's loss (0.0 when all are off).

        Called inside the D step's tape (see `tfgan.regularizers`).
        `discriminate` maps images to logits; default D in training mode.
        """
        discriminate = discriminate or (lambda x: self.discriminator(x, training=True))
        total = 0.0
        if self.gp_weight:
            # Under replicas: this replica's rows of one draw, as for the noise.
            alpha = distribute.replica_slice(
                lambda n: regularizers.interpolation_alpha(n, len(real.shape), seed=self.penalty_seed),
                ops.shape(real)[0],
            )
            gp = regularizers.gradient_penalty(discriminate, real, fake, alpha)
            self.trackers["gp"].update_state(gp)
            total = total + self.gp_weight * gp
        if self.r1_gamma:
            due = regularizers.lazy_r1_due(self.d_updates, self.r1_interval)
            r1 = ops.cond(due, lambda: regularizers.r1_penalty(discriminate, real), lambda: 0.0)
            self.trackers["r1"].update_state(r1, sample_weight=ops.cast(due, "float32"))
            total = total + (self.r1_gamma / 2 * self.r1_interval) * r1
        self.d_updates.assign_add(1)
        return total

    def _update_ema(self):
        if self.ema_generator is not None:
            ema.update(self.ema_generator, self.generator, self.ema_decay, reduce=distribute.all_mean)
