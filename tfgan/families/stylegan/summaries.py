"""What a StyleGAN2 run shows: the progress line, its TensorBoard tags, the fixed-z sample grid."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgan.families.image.summaries import FAKE, MIN_CELL, REAL
from tfgan.families.stylegan.export import VALUE_RANGE
from tfgan.images import make_grid, to_uint8

# Metric -> TensorBoard tag (grouped by meaning; D's outputs on real and on
# generated images share one chart, a run each, as in the image family).
TAGS = {
    "d_loss": "loss/D",
    "g_loss": "loss/G",
    "r1": "loss/r1_penalty",
    "pl_penalty": "loss/path_length_penalty",
    "pl_mean": "path_length/mean",
    "d_real": (REAL, "D output"),
    "d_fake": (FAKE, "D output"),
    "d_grad_norm": "gradients/D",
    "g_grad_norm": "gradients/G",
}
PROGRESS = (("D(x)", "d_real"), ("D(G(z))", "d_fake"), "d_loss", "g_loss")


def report(logs: dict) -> str:
    """The run's closing line: D's mean outputs and the losses (plus the path-length mean when regularised)."""
    line = (
        f"D(x)={logs['d_real']:.3f} D(G(z))={logs['d_fake']:.3f} "
        f"d_loss={logs['d_loss']:.3f} g_loss={logs['g_loss']:.3f}"
    )
    return line + (f" path_length_mean={logs['pl_mean']:.3f}" if "pl_mean" in logs else "")


class Summaries:
    """The per-epoch TensorBoard picture: the sampling generator's images of a fixed z (no truncation).

    Args:
      model: The `StyleGAN2` (its EMA networks when kept are drawn).
      fixed_z: float32 [N, latent_dim], the same at every summary and resume,
        so a user watches the same images improve.
    """

    def __init__(self, model, fixed_z):
        self.model, self.fixed_z = model, np.asarray(fixed_z, np.float32)

    def grid(self) -> np.ndarray:
        images = to_uint8(self.model.generate(self.fixed_z), VALUE_RANGE).numpy()
        return make_grid(images, min_cell=MIN_CELL)

    def __call__(self, step: int) -> None:
        tf.summary.image("samples", self.grid()[None], step=step)
