"""`CollapseWatchdog`: a warning when a run shows the signs of a collapsed game.

Two symptoms, each watched for a while before it is reported:

- D wins outright: mean D(G(z)) (the ``d_fake`` metric, a probabilistic loss
  only) stays near 0. G's gradient then vanishes under the minimax loss and,
  under the non-saturating one, points every z at the same few images:
  the failure seen with ``paper_mnist`` on some (seed, machine) pairs.
- The sample grid loses its diversity: the spread of G's outputs over the
  run's fixed z falls well below the highest spread seen so far (mode
  collapse: many z, one image).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import keras
import numpy as np

log = logging.getLogger(__name__)

ADVICE_D_WINS = (
    "D is winning outright, so G learns little or nothing. Try --update=simultaneous (the paper's released code), "
    "a lower --d_lr, --d_steps=1, or another --seed; see docs/performance_2014.md"
)
ADVICE_DIVERSITY = (
    "G draws nearly the same image for every z (mode collapse). Try --update=simultaneous, --ema_decay=0.999, "
    "a lower --lr, or --loss=least_squares / --r1_gamma; see docs/performance_2014.md"
)


def grid_diversity(images: np.ndarray) -> float:
    """The spread of a batch of samples: the mean over pixels of their standard deviation across the batch.

    0 when every sample is the same image.
    """
    images = np.asarray(images, dtype=np.float64)
    return float(np.mean(np.std(images, axis=0)))


class CollapseWatchdog(keras.callbacks.Callback):
    """Logs one warning per symptom of collapse (see the module docstring), naming it and what to try.

    Checked every `every` train batches (Keras' ``on_train_batch_end``; with
    ``steps_per_execution`` the logs arrive once per execution).

    Args:
      every: Check every this many batches.
      patience: Consecutive checks a symptom must show before the warning.
      d_fake_floor: D(G(z)) below this is "near 0"; None: not watched (a
        critic's loss, whose d_fake is no probability).
      sample_fn: ``() -> images`` of the run's fixed-z grid; None: the
        diversity is not watched.
      min_diversity: Fraction of the highest `grid_diversity` seen below
        which the grid counts as collapsed.
      warmup: Batches before the first check (early D(G(z)) is often low
        while G still draws noise).
    """

    def __init__(
        self,
        every: int = 100,
        patience: int = 5,
        d_fake_floor: float | None = 1e-3,
        sample_fn: Callable[[], np.ndarray] | None = None,
        min_diversity: float = 0.25,
        warmup: int = 0,
    ):
        super().__init__()
        self.every, self.patience, self.warmup = int(every), int(patience), int(warmup)
        self.d_fake_floor, self.sample_fn, self.min_diversity = d_fake_floor, sample_fn, float(min_diversity)
        self.batches = 0
        self.low_d_fake = 0
        self.low_diversity = 0
        self.peak_diversity = 0.0
        self.warned: set[str] = set()

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if self.batches <= self.warmup or self.batches % self.every:
            return
        self.check(logs or {})

    def check(self, logs: dict) -> list[str]:
        """One check on the latest logs; returns the symptoms warned about now (also logged)."""
        fired = []
        d_fake = logs.get("d_fake")
        if self.d_fake_floor is not None and d_fake is not None:
            self.low_d_fake = self.low_d_fake + 1 if float(d_fake) < self.d_fake_floor else 0
            if self.low_d_fake >= self.patience and "d_wins" not in self.warned:
                fired.append("d_wins")
                log.warning(
                    "collapse watchdog: mean D(G(z)) has stayed below %g for %d checks (%d batches; now %.2e). %s.",
                    self.d_fake_floor,
                    self.low_d_fake,
                    self.low_d_fake * self.every,
                    float(d_fake),
                    ADVICE_D_WINS,
                )
        if self.sample_fn is not None:
            diversity = grid_diversity(self.sample_fn())
            self.peak_diversity = max(self.peak_diversity, diversity)
            low = diversity < self.min_diversity * self.peak_diversity
            self.low_diversity = self.low_diversity + 1 if low else 0
            if self.low_diversity >= self.patience and "diversity" not in self.warned:
                fired.append("diversity")
                log.warning(
                    "collapse watchdog: the sample grid's diversity has stayed below %.0f%% of its peak for %d "
                    "checks (now %.3g, peak %.3g). %s.",
                    100 * self.min_diversity,
                    self.low_diversity,
                    diversity,
                    self.peak_diversity,
                    ADVICE_DIVERSITY,
                )
        self.warned.update(fired)
        return fired
