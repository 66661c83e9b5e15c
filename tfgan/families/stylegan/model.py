"""`StyleGAN2`: a `keras.Model` whose `train_step` is StyleGAN2's training loop (Karras et al. 2020).

One step runs the four phases of StyleGAN2's code, in its order:

1. G main: the non-saturating loss of fresh style-mixed fakes (D fixed).
2. G reg (every ``pl_interval`` steps, if ``pl_weight``): path-length
   regularisation, its own update, weighted by the interval (sec. 3.2).
3. D main: the logistic loss of a real minibatch and fresh fakes (G fixed).
4. D reg (every ``r1_interval`` steps, if ``r1_gamma``): the R1 penalty of
   the same reals, its own update, weighted by the interval (sec. 3.1).

then the EMA of G's weights. Lazy regularisation makes a regularised step
two optimiser updates, which `lazy_adam` corrects for as the paper's code
does.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tfgan import augment, distribute, ema, losses, regularizers, steps
from tfgan.families.stylegan.networks import broadcast_w, mix_styles, truncate

# Bits of `StyleGAN2.nonfinite`: which quantities of the last step were NaN or
# infinite (that update was not applied); the regularisation updates share
# their player's bits.
NONFINITE_BITS = {1: "d_loss", 2: "D's gradients", 4: "g_loss", 8: "G's gradients"}
METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")
# StyleGAN2's constants: the path-length mean's decay, the path-length batch
# as a fraction of the minibatch, and the decay of the running mean of w
# (the truncation trick's centre).
PL_DECAY = 0.01
PL_BATCH_SHRINK = 2
W_AVG_BETA = 0.995
ADAM_EPSILON = 1e-8


def lazy_correction(interval: int | None) -> float:
    """StyleGAN2's lazy-regularisation correction ``c = interval / (interval + 1)`` (its ``mb_ratio``); 1 for None.

    A player regularised every `interval` steps by an update of its own
    makes ``interval + 1`` updates in `interval` steps, so its learning
    rate is scaled by c and its Adam betas raised to c, keeping the
    optimiser's per-step behaviour that of the unregularised schedule.
    """
    return interval / (interval + 1) if interval else 1.0


def lazy_adam(lr: float, beta_1: float, beta_2: float, interval: int | None) -> keras.optimizers.Adam:
    """Adam for a player regularised every `interval` steps (None: never), with `lazy_correction`.

    ``beta_1 = 0`` (the paper's) stays 0.
    """
    c = lazy_correction(interval)
    return keras.optimizers.Adam(lr * c, beta_1=beta_1**c, beta_2=beta_2**c, epsilon=ADAM_EPSILON)


def _with_gradients(grads, variables):
    """``(grads, variables)`` without the weights a loss does not depend on.

    A regulariser need not reach every weight (R1, a function of D's input
    gradient, has none for the bias of D's last layer; the path lengths none
    for the ToRGB biases): StyleGAN2's code leaves those out of that
    update, and so does this (Keras would warn of them).
    """
    pairs = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
    return [g for g, _ in pairs], [v for _, v in pairs]


def _step_images(data):
    """The real minibatch [B, H, W, C] of a `pipelines.make_train_dataset` element (``group=1``)."""
    return data["image"][0]


class StyleGAN2(keras.Model):
    """StyleGAN2's generator (mapping + synthesis) and residual discriminator, trained as in the paper.

    Args:
      mapping: z [B, latent_dim] -> w [B, w_dim].
      synthesis: W+ [B, num_ws, w_dim] -> images [B, S, S, C].
      discriminator: images -> logits [B, 1].
      latent_dim: Size of z (drawn N(0, I)).
      num_ws: Rows of W+ (`tfgan.families.stylegan.synthesis.num_ws`).
      style_mixing: Probability that a generated image takes a second code
        from a random layer on (StyleGAN sec. 3.1); 0: off.
      r1_gamma: R1 weight gamma; 0: off.
      r1_interval: Lazy R1 every this many steps.
      pl_weight: Path-length regularisation weight; 0: off.
      pl_interval: Lazy path-length regularisation every this many steps.
      ema_decay: Keep EMA copies of mapping and synthesis (`tfgan.ema`)
        for sampling and export; 0: off.
      diffaugment: DiffAugment transforms (`tfgan.augment`) of D's inputs.
      seed: Seed of the model's random streams: z and the mixing draws,
        the path-length noise, DiffAugment (three streams, so switching
        one extension leaves the others' draws as they were).
    """

    def __init__(
        self,
        mapping,
        synthesis,
        discriminator,
        *,
        latent_dim,
        num_ws,
        style_mixing=0.9,
        r1_gamma=10.0,
        r1_interval=16,
        pl_weight=0.0,
        pl_interval=4,
        ema_decay=0.0,
        diffaugment=(),
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if r1_interval < 1 or pl_interval < 1:
            raise ValueError(f"the lazy intervals must be >= 1, got r1_interval={r1_interval}, pl={pl_interval}.")
        self.mapping, self.synthesis, self.discriminator = mapping, synthesis, discriminator
        self.latent_dim, self.num_ws = int(latent_dim), int(num_ws)
        self.w_dim = int(mapping.output_shape[-1])
        self.style_mixing = float(style_mixing)
        self.r1_gamma, self.r1_interval = float(r1_gamma), int(r1_interval)
        self.pl_weight, self.pl_interval = float(pl_weight), int(pl_interval)
        self.ema_decay = float(ema_decay)
        seed = 0 if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.pl_seed = keras.random.SeedGenerator(seed + 1)
        self.augmenter = augment.DiffAugment(diffaugment, seed=seed + 2) if diffaugment else None
        steps.add_step_counters(self, NONFINITE_BITS)
        # The running mean of w (the truncation trick's centre) and of the path
        # lengths (the path-length target): both checkpointed.
        self.w_avg = self.add_weight(shape=(self.w_dim,), initializer="zeros", trainable=False, name="w_avg")
        self.pl_mean = self.add_weight(shape=(), initializer="zeros", trainable=False, name="pl_mean")
        self.ema_mapping = ema.clone_generator(mapping) if self.ema_decay else None
        self.ema_synthesis = ema.clone_generator(synthesis) if self.ema_decay else None
        names = METRIC_NAMES + (("r1",) if self.r1_gamma else ()) + (("pl_penalty", "pl_mean") if pl_weight else ())
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Configures training: G's optimiser updates mapping and synthesis, D's the discriminator."""
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def g_variables(self):
        """G's trainable weights: the mapping network's, then the synthesis network's."""
        return self.mapping.trainable_variables + self.synthesis.trainable_variables

    def build_optimizers(self):
        """Creates optimizer slots now, so a checkpoint can be restored into them."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.g_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def sampling_networks(self):
        """(mapping, synthesis) to sample, summarise and export: the EMA ones when kept."""
        if self.ema_mapping is not None:
            return self.ema_mapping, self.ema_synthesis
        return self.mapping, self.synthesis

    def generate(self, z, truncation=1.0):
        """Images of z from the sampling networks, w truncated towards `w_avg` by `truncation` (1: none)."""
        mapping, synthesis = self.sampling_networks
        w = truncate(mapping(z, training=False), self.w_avg, truncation)
        return synthesis(broadcast_w(w, self.num_ws), training=False)

    def call(self, z, training=False):
        return self.generate(z)

    # --- Codes: z, style mixing, W+. ---

    def sample_latent(self, batch_size):
        """Fresh z [batch_size, latent_dim] ~ N(0, I) from the model's seeded stream."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def draw_crossover(self, batch_size):
        """Per image, the first W+ row that takes the second code: with probability
        `style_mixing` uniform over 1..num_ws-1, else num_ws (no mixing)."""
        mixed = keras.random.uniform((batch_size,), seed=self.seed_generator) < self.style_mixing
        cut = keras.random.randint((batch_size,), 1, self.num_ws, seed=self.seed_generator, dtype="int32")
        return ops.where(mixed, cut, self.num_ws)

    def mixed_ws(self, z1, z2, crossover, training=True):
        """W+ of the training mapping: rows below `crossover` from w(z1), the rest from w(z2); also w(z1)."""
        w1 = self.mapping(z1, training=training)
        w2 = self.mapping(z2, training=training)
        return mix_styles(w1, w2, crossover)(self.num_ws), w1

    def sample_ws(self, batch_size):
        """Fresh training W+ [batch_size, num_ws, w_dim] (style-mixed per image) and the first code w."""
        z1 = self.sample_latent(batch_size)
        if not self.style_mixing:
            w = self.mapping(z1, training=True)
            return broadcast_w(w, self.num_ws), w
        z2 = self.sample_latent(batch_size)
        return self.mixed_ws(z1, z2, self.draw_crossover(batch_size))

    def _augment(self, images):
        return self.augmenter(images) if self.augmenter is not None else images

    def _critic(self, images):
        return self.discriminator(self._augment(images), training=True)

    # --- The step. ---

    def train_step(self, data):
        real = _step_images(data)
        n = ops.shape(real)[0]
        self.nonfinite.assign(0)
        self.g_step(n)
        if self.pl_weight:
            due = ops.equal(ops.mod(self.step, self.pl_interval), 0)
            penalty = ops.cond(due, lambda: self.g_reg_step(n), lambda: ops.zeros(()))
            self.trackers["pl_penalty"].update_state(penalty, sample_weight=ops.cast(due, "float32"))
            self.trackers["pl_mean"].update_state(self.pl_mean)
        self.d_step(real)
        if self.r1_gamma:
            due = regularizers.lazy_r1_due(self.step, self.r1_interval)
            r1 = ops.cond(due, lambda: self.d_reg_step(real), lambda: ops.zeros(()))
            self.trackers["r1"].update_state(r1, sample_weight=ops.cast(due, "float32"))
        if self.ema_mapping is not None:
            ema.update(self.ema_mapping, self.mapping, self.ema_decay)
            ema.update(self.ema_synthesis, self.synthesis, self.ema_decay)
        self.step.assign_add(1)
        return distribute.step_metrics({name: tracker.result() for name, tracker in self.trackers.items()})

    def g_step(self, batch_size):
        """G main: one update of mapping and synthesis on the non-saturating loss (D fixed)."""
        variables = self.g_variables
        with tf.GradientTape() as tape:
            ws, _ = self.sample_ws(batch_size)
            fake_logits = self._critic(self.synthesis(ws, training=True))
            loss = losses.non_saturating_generator_loss(fake_logits)
        grad_norm, _ = steps.update(self, self.g_optimizer, tape.gradient(loss, variables), variables, loss, 4)
        self.trackers["g_loss"].update_state(loss)
        self.trackers["g_grad_norm"].update_state(grad_norm)

    def path_lengths(self, ws):
        """||J_w^T y||_2 per image (sec. 3.2): y ~ N(0, I) / sqrt(H W) an image, J the Jacobian of G(ws).

        The squared gradients are summed over w's features and averaged
        over the W+ rows, as StyleGAN2's code does. Called inside G's tape:
        the inner tape's gradient is differentiable in G's weights.
        """
        with tf.GradientTape() as tape:
            tape.watch(ws)
            images = self.synthesis(ws, training=True)
            h, w = images.shape[1], images.shape[2]
            noise = keras.random.normal(ops.shape(images), seed=self.pl_seed) / (h * w) ** 0.5
            total = ops.sum(images * noise)
        grads = tape.gradient(total, ws)
        return ops.sqrt(ops.mean(ops.sum(ops.square(grads), axis=2), axis=1))

    def g_reg_step(self, batch_size):
        """G reg: one update on ``pl_weight * pl_interval * E[(|J^T y| - a)^2]``; returns the penalty.

        ``a`` is the running mean of the path lengths (`pl_mean`), moved by
        `PL_DECAY` towards this batch's mean first, as in the paper's code.
        """
        variables = self.g_variables
        with tf.GradientTape() as tape:
            ws, _ = self.sample_ws(ops.maximum(batch_size // PL_BATCH_SHRINK, 1))
            lengths = self.path_lengths(ws)
            target = self.pl_mean + PL_DECAY * (ops.mean(ops.stop_gradient(lengths)) - self.pl_mean)
            penalty = ops.mean(ops.square(lengths - target))
            loss = penalty * (self.pl_weight * self.pl_interval)
        self.pl_mean.assign(target)
        grads, variables = _with_gradients(tape.gradient(loss, variables), variables)
        steps.update(self, self.g_optimizer, grads, variables, loss, 4)
        return penalty

    def d_step(self, real):
        """D main: one update of D on the logistic loss of `real` and fresh fakes (G fixed)."""
        n = ops.shape(real)[0]
        ws, w = self.sample_ws(n)
        # The running mean of w is updated from the codes of D's fakes (StyleGAN2's update_emas).
        self.w_avg.assign(ops.mean(w, axis=0) + W_AVG_BETA * (self.w_avg - ops.mean(w, axis=0)))
        fake = ops.stop_gradient(self.synthesis(ws, training=True))
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits, fake_logits = self._critic(real), self._critic(fake)
            loss = losses.non_saturating_discriminator_loss(real_logits, fake_logits)
        grad_norm, _ = steps.update(self, self.d_optimizer, tape.gradient(loss, variables), variables, loss, 1)
        t = self.trackers
        t["d_loss"].update_state(loss)
        t["d_real"].update_state(ops.mean(ops.sigmoid(real_logits)))
        t["d_fake"].update_state(ops.mean(ops.sigmoid(fake_logits)))
        t["d_grad_norm"].update_state(grad_norm)

    def d_reg_step(self, real):
        """D reg: one update on ``gamma / 2 * r1_interval * E||grad D(x)||^2`` of the reals; returns the penalty.

        With DiffAugment the gradient is taken with respect to the images
        before augmentation, as StyleGAN2-ADA does.
        """
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            r1 = regularizers.r1_penalty(self._critic, real)
            loss = r1 * (self.r1_gamma / 2 * self.r1_interval)
        grads, variables = _with_gradients(tape.gradient(loss, variables), variables)
        steps.update(self, self.d_optimizer, grads, variables, loss, 1)
        return r1
