"""What the image GAN shows: the equilibrium line, its TensorBoard layout, and sample grids."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
from tensorboard.plugins.custom_scalar import layout_pb2

from tfgan.families.image.conditioning import with_labels
from tfgan.images import make_grid, to_uint8

LOG_4 = math.log(4.0)
# Reference lines written beside the metrics: the paper's equilibrium values.
EQUILIBRIUM_CONSTANTS = {"eq/half": 0.5, "eq/minus_log_4": -LOG_4}


def equilibrium_report(logs) -> str:
    """One line comparing D's outputs and V with the paper's equilibrium."""
    return (
        f"D(x)={logs['d_real']:.3f} D(G(z))={logs['d_fake']:.3f} (equilibrium: both 0.5); "
        f"V(D,G)={logs['value']:.3f} (equilibrium: -log 4 = {-LOG_4:.3f})"
    )


def critic_report(logs) -> str:
    """One line of a critic's mean scores (they have no equilibrium value)."""
    return f"critic: mean D(x)={logs['critic_real']:.3f} mean D(G(z))={logs['critic_fake']:.3f}"


def layout() -> layout_pb2.Layout:
    """A TensorBoard custom-scalars page: D(x), D(G(z)) and V beside their equilibria."""
    chart = layout_pb2.Chart
    multiline = layout_pb2.MultilineChartContent
    return layout_pb2.Layout(
        category=[
            layout_pb2.Category(
                title="equilibrium (Goodfellow et al. 2014: D(x) = D(G(z)) = 1/2, V = -log 4)",
                chart=[
                    chart(title="D(x), D(G(z)) vs 1/2", multiline=multiline(tag=[r"^d_(real|fake)$", r"^eq/half$"])),
                    chart(title="V(D,G) vs -log 4", multiline=multiline(tag=[r"^value$", r"^eq/minus_log_4$"])),
                    chart(title="losses", multiline=multiline(tag=[r"^[dg]_loss$"])),
                    chart(title="gradient norms", multiline=multiline(tag=[r"^[dg]_grad_norm$"])),
                ],
            )
        ]
    )


def sample_grid(generator, fixed_z, value_range, fixed_labels=None) -> np.ndarray:
    """G's images of `fixed_z` as one uint8 grid.

    With `fixed_labels` (a conditional generator) each row holds one class:
    the grid has as many rows as distinct labels.
    """
    images = generator(with_labels(fixed_z, fixed_labels), training=False)
    rows = None if fixed_labels is None else len(np.unique(fixed_labels))
    return make_grid(to_uint8(images, value_range).numpy(), rows=rows)


class Summaries:
    """The image family's per-epoch TensorBoard summaries: the sample grid of a fixed z and the equilibrium line.

    Args:
      gan: The `GAN` (its ``sampling_generator`` is drawn).
      fixed_z: float32 [N, latent_dim]: the same noise at every sample, so a
        user watches the same forgeries improve.
      value_range: The generator's output range.
      fixed_labels: int32 [N] class labels of a conditional generator (one
        grid row per class), or None.
    """

    def __init__(self, gan, fixed_z, value_range, fixed_labels=None):
        self.gan = gan
        self.fixed_z = np.asarray(fixed_z, np.float32)
        self.value_range, self.fixed_labels = value_range, fixed_labels

    def grid(self) -> np.ndarray:
        return sample_grid(self.gan.sampling_generator, self.fixed_z, self.value_range, self.fixed_labels)

    def __call__(self, step: int) -> None:
        tf.summary.image("samples", self.grid()[None], step=step)
        # The trackers' running means: what the progress bar showed last.
        logs = {t.name: float(t.result()) for t in self.gan.metrics}
        if int(step):
            tf.summary.text("equilibrium", f"step {step}: " + equilibrium_report(logs), step=step)
