"""`CycleGAN` and `Pix2Pix`: Keras models whose ``train_step`` plays their papers' games.

Both take the elements of `pipelines.domains.make_domain_dataset`:
``{"a": float32 [B, H, W, C], "b": float32 [B, H, W, C]}`` in [-1, 1]; a
class-conditional CycleGAN also ``{"label_a": int32 [B], "label_b": int32 [B]}``.
Their steps are built from `tfgan.steps` (guarded updates, NaN flags,
step counter), `tfgan.distribute` (global-batch gradients and metrics),
`tfgan.precision` (loss scaling), `tfgan.ema` and `tfgan.augment`.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tfgan import augment, distribute, ema, precision, steps
from tfgan.families.translation import losses
from tfgan.families.translation.pool import ImagePool

CYCLEGAN_BITS = {1: "g_loss", 2: "G's gradients", 4: "d_loss", 8: "D's gradients"}
PIX2PIX_BITS = {1: "d_loss", 2: "D's gradients", 4: "g_loss", 8: "G's gradients"}
CYCLEGAN_METRICS = (
    "g_loss",
    "d_loss",
    "adv_ab",
    "adv_ba",
    "cycle_a",
    "cycle_b",
    "identity_a",
    "identity_b",
    "d_a",
    "d_b",
    "g_grad_norm",
    "d_grad_norm",
)
PIX2PIX_METRICS = ("g_loss", "d_loss", "adv", "l1", "d_real", "d_fake", "g_grad_norm", "d_grad_norm")


def _pair(data):
    """``(a, b)`` of a stream element: a dict, or under replicas the pair (see `trainer.distributed`)."""
    if isinstance(data, dict):
        return data["a"], data["b"]
    return data[0], data[1]


def _labels(data):
    """``(label_a, label_b)`` of a labelled stream element (dict, or the 4-tuple under replicas)."""
    if isinstance(data, dict):
        return data["label_a"], data["label_b"]
    return data[2], data[3]


def _variables(*models):
    return [v for m in models for v in m.trainable_variables]


class CycleGAN(keras.Model):
    """Unpaired translation A <-> B (Zhu et al. 2017, "Unpaired Image-to-Image Translation using
    Cycle-Consistent Adversarial Networks").

    One `train_step` is one iteration of the reference code's
    ``optimize_parameters``: first both generators together (with both
    discriminators fixed) on

        L_G = L_adv(G_ab, D_b) + L_adv(G_ba, D_a)
              + lambda_cycle (||G_ba(G_ab(a) + n) - a||_1 + ||G_ab(G_ba(b) + n') - b||_1)
              + lambda_cycle lambda_identity (||G_ba(a) - a||_1 + ||G_ab(b) - b||_1),

    then both discriminators together, each on real images of its domain
    and on fakes drawn from its `ImagePool` of earlier translations. The
    noise n, n' ~ N(0, cycle_noise^2) is 0 in the paper; a little of it
    (Bashkirova, Usman & Saenko 2019, "Adversarial Self-Defense for
    Cycle-Consistent GANs") keeps a generator from meeting the cycle loss
    through a near-invisible code that carries the input, so the visible
    translation has to carry it (its content).

    Args:
      g_ab, g_ba: Generators A -> B and B -> A.
      d_a, d_b: PatchGAN discriminators of domains A and B.
      image_shape: ``(H, W, C)`` of the training images (the pools' shape).
      pool_size: Images per pool; 0: D sees only the newest fakes.
      lambda_cycle, lambda_identity: The loss weights (identity as a
        fraction of lambda_cycle, as in the paper's code).
      cycle_noise: Standard deviation of n and n'; 0: off.
      num_classes: Class-conditional discriminators (0: off): D_b judges
        a real b with its label and G_ab(a) with a's label, through one
        one-hot plane per class beside the image; the pools keep each
        fake's planes with it.
      ema_decay: Keep EMA copies of both generators (`tfgan.ema`); 0: off.
      diffaugment: DiffAugment policy of D's inputs, in both steps.
      seed: Seed of the pools and the augmentation.
    """

    def __init__(
        self,
        g_ab,
        g_ba,
        d_a,
        d_b,
        *,
        image_shape,
        pool_size=50,
        lambda_cycle=10.0,
        lambda_identity=0.5,
        cycle_noise=0.0,
        num_classes=0,
        ema_decay=0.0,
        diffaugment=(),
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.g_ab, self.g_ba, self.d_a, self.d_b = g_ab, g_ba, d_a, d_b
        self.lambda_cycle, self.lambda_identity = float(lambda_cycle), float(lambda_identity)
        seed = 0 if seed is None else int(seed)
        self.num_classes, self.channels = int(num_classes), int(image_shape[-1])
        # The pools hold D's whole input: a fake and, when conditional, its label's planes.
        d_shape = (*image_shape[:-1], self.channels + self.num_classes)
        self.pool_a = ImagePool(pool_size, d_shape, seed=seed + 1, name="pool_a")  # fakes of domain A: G_ba(b)
        self.pool_b = ImagePool(pool_size, d_shape, seed=seed + 2, name="pool_b")
        self.augmenter = augment.DiffAugment(diffaugment, seed=seed + 3) if diffaugment else None
        self.cycle_noise = float(cycle_noise)
        self.noise_seed = keras.random.SeedGenerator(seed + 4) if self.cycle_noise else None
        self.ema_decay = float(ema_decay)
        self.ema_g_ab = ema.clone_generator(g_ab) if self.ema_decay else None
        self.ema_g_ba = ema.clone_generator(g_ba) if self.ema_decay else None
        steps.add_step_counters(self, CYCLEGAN_BITS)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in CYCLEGAN_METRICS}
        self.built = True

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        """Configures training: one optimiser for both generators, one for both discriminators."""
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer

    def build_optimizers(self):
        """Creates the optimisers' slots now, so a checkpoint can be restored into them."""
        self.g_optimizer.build(_variables(self.g_ab, self.g_ba))
        self.d_optimizer.build(_variables(self.d_a, self.d_b))

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def generators(self):
        """(A -> B, B -> A) to translate, evaluate and export with: the EMA ones when kept."""
        if self.ema_g_ab is not None:
            return self.ema_g_ab, self.ema_g_ba
        return self.g_ab, self.g_ba

    def call(self, a, training=False):
        return self.g_ab(a, training=training)

    def _d_input(self, images, labels):
        """What D judges: `images`, and under class conditioning one one-hot plane per class of `labels`."""
        if not self.num_classes:
            return images
        planes = ops.one_hot(labels, self.num_classes, dtype=images.dtype)[:, None, None, :]
        return ops.concatenate([images, planes * ops.ones_like(images[..., :1])], axis=-1)

    def _critic(self, d, inputs):
        """D's scores of a `_d_input`; DiffAugment transforms the image channels only, never the label's."""
        if self.augmenter is None:
            return d(inputs, training=True)
        if not self.num_classes:
            return d(self.augmenter(inputs), training=True)
        images, planes = inputs[..., : self.channels], inputs[..., self.channels :]
        return d(ops.concatenate([self.augmenter(images), planes], axis=-1), training=True)

    def _noisy(self, translations):
        """`translations` plus N(0, cycle_noise^2) per pixel, this replica's rows of a global draw."""
        if not self.cycle_noise:
            return translations
        shape = tuple(translations.shape[1:])
        noise = distribute.replica_slice(
            lambda m: keras.random.normal((m, *shape), stddev=self.cycle_noise, seed=self.noise_seed),
            ops.shape(translations)[0],
        )
        return translations + ops.cast(noise, translations.dtype)

    def _step_state(self):
        """What a step changes before its last update is decided: G's update, the pools, the EMA copies."""
        extra = []
        if self.ema_g_ab is not None:
            extra = self.ema_g_ab.variables + self.ema_g_ba.variables
        return (
            _variables(self.g_ab, self.g_ba)
            + precision.unscaled(self.g_optimizer).variables
            + self.pool_a.variables
            + self.pool_b.variables
            + extra
        )

    def train_step(self, data):
        real_a, real_b = _pair(data)
        labels = _labels(data) if self.num_classes else (None, None)
        self.nonfinite.assign(0)
        # Under loss scaling a step whose scaled gradients overflow anywhere is
        # skipped whole: G's update (applied before D's) is undone with the pools.
        scalers = [o for o in (self.g_optimizer, self.d_optimizer) if precision.scales_losses(o)]
        if not all(o.built for o in scalers):
            self.build_optimizers()
        state = precision.snapshot(self._step_state()) if scalers else None
        fake_a, fake_b, overflow = self.generator_step(real_a, real_b, *labels)
        overflow = ops.logical_or(
            overflow, self.discriminator_step(real_a, real_b, fake_a, fake_b, *labels, skip=overflow)
        )
        if scalers:
            precision.end_step(overflow, state, scalers)
        self.step.assign_add(1)
        return distribute.step_metrics({name: tracker.result() for name, tracker in self.trackers.items()})

    def generator_step(self, real_a, real_b, label_a=None, label_b=None):
        """Updates G_ab and G_ba together (D fixed); returns ``(fake_a, fake_b, overflow)``.

        Under class conditioning the fakes come back as D's inputs (with
        their source's label planes), as the pools store them.
        """
        variables = _variables(self.g_ab, self.g_ba)
        with tf.GradientTape() as tape:
            fake_b = self.g_ab(real_a, training=True)
            fake_a = self.g_ba(real_b, training=True)
            judged_b, judged_a = self._d_input(fake_b, label_a), self._d_input(fake_a, label_b)
            adv_ab = losses.cyclegan_generator_loss(self._critic(self.d_b, judged_b))
            adv_ba = losses.cyclegan_generator_loss(self._critic(self.d_a, judged_a))
            cycle_a = losses.cycle_loss(real_a, self.g_ba(self._noisy(fake_b), training=True))
            cycle_b = losses.cycle_loss(real_b, self.g_ab(self._noisy(fake_a), training=True))
            total = adv_ab + adv_ba + self.lambda_cycle * (cycle_a + cycle_b)
            identity_a = identity_b = ops.zeros(())
            if self.lambda_identity:
                identity_a = losses.identity_loss(real_a, self.g_ba(real_a, training=True))
                identity_b = losses.identity_loss(real_b, self.g_ab(real_b, training=True))
                total = total + self.lambda_cycle * self.lambda_identity * (identity_a + identity_b)
            scaled = self.g_optimizer.scale_loss(total)
        grad_norm, overflow = steps.update(
            self, self.g_optimizer, tape.gradient(scaled, variables), variables, total, loss_bit=1
        )
        if self.ema_g_ab is not None:
            ema.update(self.ema_g_ab, self.g_ab, self.ema_decay, reduce=distribute.all_mean)
            ema.update(self.ema_g_ba, self.g_ba, self.ema_decay, reduce=distribute.all_mean)
        t = self.trackers
        for name, value in (
            ("g_loss", total),
            ("adv_ab", adv_ab),
            ("adv_ba", adv_ba),
            ("cycle_a", cycle_a),
            ("cycle_b", cycle_b),
            ("identity_a", identity_a),
            ("identity_b", identity_b),
            ("g_grad_norm", grad_norm),
        ):
            t[name].update_state(value)
        return ops.stop_gradient(judged_a), ops.stop_gradient(judged_b), overflow

    def discriminator_step(self, real_a, real_b, fake_a, fake_b, label_a=None, label_b=None, skip=False):
        """Updates D_a and D_b together on real images and pooled fakes (G fixed); returns the overflow flag.

        `fake_a`, `fake_b`: as `generator_step` returns them (D's inputs).
        """
        pooled_a, pooled_b = self.pool_a.query(fake_a), self.pool_b.query(fake_b)
        variables = _variables(self.d_a, self.d_b)
        with tf.GradientTape() as tape:
            d_a = losses.cyclegan_discriminator_loss(
                self._critic(self.d_a, self._d_input(real_a, label_a)), self._critic(self.d_a, pooled_a)
            )
            d_b = losses.cyclegan_discriminator_loss(
                self._critic(self.d_b, self._d_input(real_b, label_b)), self._critic(self.d_b, pooled_b)
            )
            total = d_a + d_b
            scaled = self.d_optimizer.scale_loss(total)
        grad_norm, overflow = steps.update(
            self, self.d_optimizer, tape.gradient(scaled, variables), variables, total, loss_bit=4, skip=skip
        )
        t = self.trackers
        t["d_loss"].update_state(total)
        t["d_a"].update_state(d_a)
        t["d_b"].update_state(d_b)
        t["d_grad_norm"].update_state(grad_norm)
        return overflow


class Pix2Pix(keras.Model):
    """Paired translation A -> B (Isola et al. 2017, "Image-to-Image Translation with Conditional
    Adversarial Networks").

    One `train_step`: D on (a, b) against (a, G(a)), then G on the
    non-saturating loss plus lambda_l1 ||b - G(a)||_1 (eq. 4). G's noise is
    its dropout, on in training.

    Args:
      generator: U-Net A -> B.
      discriminator: Conditional PatchGAN ``[a, b] -> scores``.
      lambda_l1: The L1 weight (paper: 100).
      ema_decay: Keep an EMA copy of G; 0: off.
      diffaugment: DiffAugment of D's (a, b) pairs: the same transform of
        both halves (applied to them concatenated on channels).
      seed: Seed of the augmentation.
    """

    def __init__(self, generator, discriminator, *, lambda_l1=100.0, ema_decay=0.0, diffaugment=(), seed=None, **kw):
        super().__init__(**kw)
        self.generator, self.discriminator = generator, discriminator
        self.lambda_l1 = float(lambda_l1)
        seed = 0 if seed is None else int(seed)
        self.augmenter = augment.DiffAugment(diffaugment, seed=seed + 3) if diffaugment else None
        self.ema_decay = float(ema_decay)
        self.ema_generator = ema.clone_generator(generator) if self.ema_decay else None
        steps.add_step_counters(self, PIX2PIX_BITS)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in PIX2PIX_METRICS}
        self.built = True

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer

    def build_optimizers(self):
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def generators(self):
        """(A -> B, None): pix2pix translates one way."""
        return (self.ema_generator if self.ema_generator is not None else self.generator), None

    def call(self, a, training=False):
        return self.generator(a, training=training)

    def _critic(self, a, b):
        if self.augmenter is None:
            return self.discriminator([a, b], training=True)
        c = a.shape[-1]
        both = self.augmenter(ops.concatenate([a, ops.cast(b, a.dtype)], axis=-1))
        return self.discriminator([both[..., :c], both[..., c:]], training=True)

    def _step_state(self):
        extra = self.ema_generator.variables if self.ema_generator is not None else []
        return (
            self.discriminator.variables
            + precision.unscaled(self.d_optimizer).variables
            + self.generator.non_trainable_variables
            + extra
        )

    def train_step(self, data):
        a, b = _pair(data)
        self.nonfinite.assign(0)
        scalers = [o for o in (self.g_optimizer, self.d_optimizer) if precision.scales_losses(o)]
        if not all(o.built for o in scalers):
            self.build_optimizers()
        state = precision.snapshot(self._step_state()) if scalers else None
        fake = ops.stop_gradient(self.generator(a, training=True))
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits, fake_logits = self._critic(a, b), self._critic(a, fake)
            d_loss = losses.pix2pix_discriminator_loss(real_logits, fake_logits)
            scaled = self.d_optimizer.scale_loss(d_loss)
        d_norm, overflow = steps.update(self, self.d_optimizer, tape.gradient(scaled, variables), variables, d_loss, 1)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            output = self.generator(a, training=True)
            logits = self._critic(a, output)
            g_loss = losses.pix2pix_generator_loss(logits, b, output, self.lambda_l1)
            scaled = self.g_optimizer.scale_loss(g_loss)
        g_norm, g_overflow = steps.update(
            self, self.g_optimizer, tape.gradient(scaled, variables), variables, g_loss, 4, skip=overflow
        )
        overflow = ops.logical_or(overflow, g_overflow)
        if self.ema_generator is not None:
            ema.update(self.ema_generator, self.generator, self.ema_decay, reduce=distribute.all_mean)
        if scalers:
            precision.end_step(overflow, state, scalers)
        self.step.assign_add(1)
        t = self.trackers
        for name, value in (
            ("g_loss", g_loss),
            ("d_loss", d_loss),
            ("adv", g_loss - self.lambda_l1 * losses.l1(b, output)),
            ("l1", losses.l1(b, output)),
            ("d_real", ops.mean(ops.sigmoid(real_logits))),
            ("d_fake", ops.mean(ops.sigmoid(fake_logits))),
            ("g_grad_norm", g_norm),
            ("d_grad_norm", d_norm),
        ):
            t[name].update_state(value)
        return distribute.step_metrics({name: tracker.result() for name, tracker in self.trackers.items()})
