"""`PSP`: a `keras.Model` whose `train_step` trains pSp's encoder against a frozen StyleGAN2 generator.

Richardson et al. 2021, "Encoding in Style" (sec. 3): an image is encoded
into W+ (the encoder's offsets plus G's mean w, pSp's
``start_from_latent_avg``), synthesised by the fixed generator (its stored
noise images, so the only randomness is the data order), and the encoder
alone is updated on ``l2_weight * L2 + w_norm_weight * W-norm``, plus
``lpips_weight * LPIPS + id_weight * (1 - cos)`` when the run was given
those networks.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan import distribute, steps
from tfgan.families.psp.losses import (
    psp_identity_loss,
    psp_lpips_loss,
    psp_reconstruction_loss,
    psp_w_norm_loss,
)

NONFINITE_BITS = {1: "loss", 2: "the encoder's gradients"}
METRIC_NAMES = ("loss", "l2", "w_norm", "grad_norm")


class PSP(keras.Model):
    """pSp's encoder and a frozen generator.

    Args:
      encoder: images [B, S, S, C] in [-1, 1] -> W+ offsets [B, num_ws, w_dim].
      synthesis: G's synthesis network, W+ -> images (not trainable; it is
        never updated and always runs with ``training=False``).
      w_avg: G's mean w [w_dim], added to every row of the offsets.
      l2_weight, w_norm_weight: The losses' weights.
      lpips, lpips_weight: A `tfgan.lpips.LPIPS` and its loss's weight
        (None: no LPIPS loss).
      identity, id_weight: Face embeddings (`tfgan.families.psp.irse.ArcFace`)
        and the identity loss's weight (None: no identity loss).
    """

    def __init__(
        self,
        encoder,
        synthesis,
        w_avg,
        *,
        l2_weight=1.0,
        w_norm_weight=0.0,
        lpips=None,
        lpips_weight=0.0,
        identity=None,
        id_weight=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.encoder, self.synthesis = encoder, synthesis
        self.synthesis.trainable = False
        self.l2_weight, self.w_norm_weight = float(l2_weight), float(w_norm_weight)
        # Frozen networks the user supplied (not checkpointed: reloaded from their files).
        self.lpips, self.lpips_weight = lpips, float(lpips_weight)
        self.identity, self.id_weight = identity, float(id_weight)
        steps.add_step_counters(self, NONFINITE_BITS)
        # G's mean w, a constant of this run (checkpointed with the encoder, exported with it).
        self.w_avg = self.add_weight(
            shape=(int(w_avg.shape[-1]),),
            initializer=keras.initializers.Constant(w_avg),
            trainable=False,
            name="w_avg",
        )
        names = [*METRIC_NAMES, *(["lpips"] if lpips is not None else []), *(["id"] if identity is not None else [])]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    def compile(self, encoder_optimizer, **kwargs):
        """Configures training: `encoder_optimizer` updates the encoder (and nothing else)."""
        super().compile(**kwargs)
        self.encoder_optimizer = encoder_optimizer

    def build_optimizers(self):
        """Creates the optimiser's slots now, so a checkpoint can be restored into them."""
        self.encoder_optimizer.build(self.encoder.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def encode(self, images, training=False):
        """W+ [B, num_ws, w_dim] of images in [-1, 1]: the encoder's offsets plus the mean w."""
        return self.encoder(images, training=training) + self.w_avg

    def reconstruct(self, images):
        """G(E(x)) at inference (the encoder's BN running statistics, G's fixed noise)."""
        return self.synthesis(self.encode(images), training=False)

    def call(self, images, training=False):
        return self.synthesis(self.encode(images, training=training), training=False)

    def train_step(self, data):
        real = data["image"][0]  # `pipelines.make_train_dataset` with group=1
        self.nonfinite.assign(0)
        variables = self.encoder.trainable_variables
        # The input's face embeddings carry no gradient (pSp detaches them): computed outside the tape.
        real_id = self.identity(real) if self.identity is not None else None
        with tf.GradientTape() as tape:
            w_plus = self.encode(real, training=True)
            fake = self.synthesis(w_plus, training=False)
            l2 = psp_reconstruction_loss(real, fake)
            w_norm = psp_w_norm_loss(w_plus, self.w_avg)
            values = {"l2": l2, "w_norm": w_norm}
            loss = self.l2_weight * l2 + self.w_norm_weight * w_norm
            if self.lpips is not None:
                values["lpips"] = psp_lpips_loss(self.lpips, real, fake)
                loss += self.lpips_weight * values["lpips"]
            if self.identity is not None:
                values["id"] = psp_identity_loss(real_id, self.identity(fake))
                loss += self.id_weight * values["id"]
        grad_norm, _ = steps.update(
            self, self.encoder_optimizer, tape.gradient(loss, variables), variables, loss, loss_bit=1
        )
        t = self.trackers
        for name, value in {**values, "loss": loss, "grad_norm": grad_norm}.items():
            t[name].update_state(value)
        self.step.assign_add(1)
        return distribute.step_metrics({name: tracker.result() for name, tracker in t.items()})


def adam(lr: float, beta_1: float, beta_2: float) -> keras.optimizers.Adam:
    """The encoder's optimiser: Adam (pSp uses Ranger, RAdam + Lookahead, which Keras does not ship)."""
    return keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2)
