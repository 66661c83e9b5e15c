"""What the image GAN shows: the progress line, its TensorBoard tags and layout, the equilibrium line, sample grids."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
from tensorboard.plugins.custom_scalar import layout_pb2

from tfgan import losses
from tfgan.families.image.conditioning import with_labels
from tfgan.images import make_grid, to_uint8

LOG_4 = math.log(4.0)
# Sample grids enlarge small images (nearest neighbour) to at least this many
# pixels a side: a 16x16 digit is drawn 64 px high, readable in TensorBoard.
MIN_CELL = 64

# The TensorBoard tag of each metric `GAN.train_step` returns, grouped by
# meaning (TensorBoard groups charts by the tag's first component, groups in
# alphabetical order: the game's group comes first). A quantity measured on
# real and on generated images is one tag written into two runs, REAL and
# FAKE (subfolders of logs/), so both are one chart, one colour each. Tags
# hold no regex metacharacters: the custom-scalars page matches them by
# regex and draws nothing for a tag such as "D(x)". The metric names
# themselves (the Keras logs, the progress line) do not change.
REAL, FAKE = "real", "fake"
_COMMON_TAGS = {
    "d_loss": "loss/D",
    "g_loss": "loss/G",
    "gp": "loss/gradient_penalty",
    "r1": "loss/r1_penalty",
    "d_grad_norm": "gradients/D",
    "g_grad_norm": "gradients/G",
}
# The 2014 losses: D is a probability, and the paper's equilibrium is
# D(x) = D(G(z)) = 1/2 (so D's accuracy is 1/2 too), V = -log 4. The raw
# logits mean nothing to a user.
PROBABILISTIC_TAGS = {
    **_COMMON_TAGS,
    "d_real": (REAL, "equilibrium/D output"),
    "d_fake": (FAKE, "equilibrium/D output"),
    "d_acc_real": (REAL, "equilibrium/D accuracy"),
    "d_acc_fake": (FAKE, "equilibrium/D accuracy"),
    "value": "equilibrium/V",
    "critic_real": None,
    "critic_fake": None,
}
# Critic losses (wasserstein, hinge, least_squares): D's raw scores are what
# the loss reads; sigmoid(D) and V(D, G) have no meaning there.
CRITIC_TAGS = {
    **_COMMON_TAGS,
    "critic_real": (REAL, "critic/D mean score"),
    "critic_fake": (FAKE, "critic/D mean score"),
    "d_acc_real": (REAL, "critic/D accuracy"),
    "d_acc_fake": (FAKE, "critic/D accuracy"),
    "d_real": None,
    "d_fake": None,
    "value": None,
}
# Reference lines, drawn in the chart of the metric they belong to (in the
# logs' `reference` run, so in a colour of their own).
EQUILIBRIUM_CONSTANTS = {"equilibrium/D output": 0.5, "equilibrium/D accuracy": 0.5, "equilibrium/V": -LOG_4}


def is_probabilistic(loss: str) -> bool:
    """Whether D's output is a probability under `loss` (the 2014 losses), not a critic's score."""
    return loss in losses.PROBABILISTIC_LOSSES


def critic_gap(logs) -> float:
    """E[D(x)] - E[D(G(z))]: how far the critic tells real from fake (for WGAN, its Wasserstein estimate)."""
    return logs["critic_real"] - logs["critic_fake"]


def progress(loss: str) -> tuple:
    """The progress line of a run with `loss` (`tfgan.run.family.Trainer.progress`).

    The 2014 losses: D(x), D(G(z)) (both 1/2 at the equilibrium) and the
    losses. Critic losses: the critic gap and the losses.
    """
    if is_probabilistic(loss):
        return (("D(x)", "d_real"), ("D(G(z))", "d_fake"), "d_loss", "g_loss")
    return (("critic_gap", critic_gap), "d_loss", "g_loss")


def tags(loss: str) -> dict:
    """Metric name -> TensorBoard tag for a run with `loss` (`tfgan.run.family.Trainer.tags`)."""
    return dict(PROBABILISTIC_TAGS if is_probabilistic(loss) else CRITIC_TAGS)


def constants(loss: str) -> dict:
    """The reference lines of a run with `loss`: the equilibrium values, for the 2014 losses only."""
    return dict(EQUILIBRIUM_CONSTANTS) if is_probabilistic(loss) else {}


def equilibrium_report(logs) -> str:
    """One line comparing D's outputs and V with the paper's equilibrium."""
    return (
        f"D(x)={logs['d_real']:.3f} D(G(z))={logs['d_fake']:.3f} (equilibrium: both 0.5); "
        f"V(D,G)={logs['value']:.3f} (equilibrium: -log 4 = {-LOG_4:.3f})"
    )


def critic_report(logs) -> str:
    """One line of a critic's mean scores (they have no equilibrium value)."""
    return f"critic: mean D(x)={logs['critic_real']:.3f} mean D(G(z))={logs['critic_fake']:.3f}"


def layout(loss: str = "non_saturating") -> layout_pb2.Layout:
    """A TensorBoard custom-scalars page: the game at a glance.

    The 2014 losses: D(x) (run ``real``) and D(G(z)) (run ``fake``) in one
    chart with the 1/2 line, V with -log 4 (the reference lines are the
    ``reference`` run's), then the losses and gradient norms. Critic losses:
    the critic's mean scores of real and fake images in one chart instead.
    """
    chart = layout_pb2.Chart
    multiline = layout_pb2.MultilineChartContent
    if is_probabilistic(loss):
        title = "the game (Goodfellow et al. 2014: at the equilibrium D(x) = D(G(z)) = 1/2, V = -log 4)"
        first = [
            chart(
                title="D(x) (run real) and D(G(z)) (run fake), with the 1/2 line",
                multiline=multiline(tag=[r"^equilibrium/D output$"]),
            ),
            chart(title="V(D,G), with -log 4", multiline=multiline(tag=[r"^equilibrium/V$"])),
            chart(
                title="D's accuracy on real and on fake, with 1/2",
                multiline=multiline(tag=[r"^equilibrium/D accuracy$"]),
            ),
        ]
    else:
        title = "the game (a critic: the gap between its mean scores of real and fake images)"
        first = [
            chart(
                title="critic: mean D(x) (run real) and D(G(z)) (run fake)",
                multiline=multiline(tag=[r"^critic/D mean score$"]),
            ),
            chart(title="D's accuracy on real and on fake", multiline=multiline(tag=[r"^critic/D accuracy$"])),
        ]
    return layout_pb2.Layout(
        category=[
            layout_pb2.Category(
                title=title,
                chart=[
                    *first,
                    chart(title="losses", multiline=multiline(tag=[r"^loss/"])),
                    chart(title="gradient norms", multiline=multiline(tag=[r"^gradients/"])),
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
    return make_grid(to_uint8(images, value_range).numpy(), rows=rows, min_cell=MIN_CELL)


class Summaries:
    """The image family's per-epoch TensorBoard summaries: the sample grid of a fixed z and the equilibrium line.

    Args:
      gan: The `GAN` (its ``sampling_generator`` is drawn).
      fixed_z: float32 [N, latent_dim]: the same noise at every sample, so a
        user watches the same forgeries improve.
      value_range: The generator's output range.
      fixed_labels: int32 [N] class labels of a conditional generator (one
        grid row per class), or None.
      loss: The loss name: the text line is the equilibrium's for the 2014
        losses, the critic's otherwise.
    """

    def __init__(self, gan, fixed_z, value_range, fixed_labels=None, loss="non_saturating"):
        self.gan, self.loss = gan, loss
        self.fixed_z = np.asarray(fixed_z, np.float32)
        self.value_range, self.fixed_labels = value_range, fixed_labels

    def grid(self) -> np.ndarray:
        return sample_grid(self.gan.sampling_generator, self.fixed_z, self.value_range, self.fixed_labels)

    def __call__(self, step: int) -> None:
        tf.summary.image("samples", self.grid()[None], step=step)
        # The trackers' running means: what the progress bar showed last.
        logs = {t.name: float(t.result()) for t in self.gan.metrics}
        if int(step):
            if is_probabilistic(self.loss):
                tf.summary.text("equilibrium", f"step {step}: " + equilibrium_report(logs), step=step)
            else:
                tf.summary.text("critic", f"step {step}: " + critic_report(logs), step=step)
