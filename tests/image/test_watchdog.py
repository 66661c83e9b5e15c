"""The collapse watchdog fires on a collapsed history and stays quiet on a healthy one."""

import logging

import numpy as np

from tfgan.families.image.watchdog import CollapseWatchdog, grid_diversity


def _run(watchdog, d_fakes, grids=None):
    fired = []
    for i, d_fake in enumerate(d_fakes):
        if grids is not None:
            watchdog.sample_fn = lambda i=i: grids[i]
        fired += watchdog.check({"d_fake": d_fake})
    return fired


def test_fires_once_when_d_fake_stays_near_zero(caplog):
    # paper_mnist's collapse as issue 20 saw it: D(G(z)) from 0.3 down to 4e-5.
    history = [0.3, 0.1, 5e-3, 8e-4, 5e-4, 2e-4, 1e-4, 8e-5, 6e-5, 4e-5, 4e-5]
    with caplog.at_level(logging.WARNING):
        fired = _run(CollapseWatchdog(patience=5), history)
    assert fired == ["d_wins"]
    assert len(caplog.records) == 1
    assert "D(G(z))" in caplog.text and "--update=simultaneous" in caplog.text


def test_quiet_on_a_healthy_history_and_on_brief_dips():
    rng = np.random.default_rng(0)
    healthy = list(rng.uniform(0.2, 0.5, 50))
    assert _run(CollapseWatchdog(patience=5), healthy) == []
    dips = [0.3, 1e-4, 1e-4, 1e-4, 1e-4, 0.2] * 5  # never 5 checks in a row
    assert _run(CollapseWatchdog(patience=5), dips) == []


def test_critic_losses_do_not_watch_d_fake():
    assert _run(CollapseWatchdog(patience=2, d_fake_floor=None), [1e-6] * 10) == []


def test_fires_when_the_sample_grid_collapses_to_one_image():
    rng = np.random.default_rng(1)
    diverse = [rng.uniform(-1, 1, (16, 4, 4, 1)) for _ in range(5)]
    one = rng.uniform(-1, 1, (1, 4, 4, 1))
    collapsed = [np.repeat(one, 16, axis=0) + rng.normal(0, 1e-3, (16, 4, 4, 1)) for _ in range(6)]
    watchdog = CollapseWatchdog(patience=5, sample_fn=lambda: None)
    assert _run(watchdog, [0.3] * 11, diverse + collapsed) == ["diversity"]
    healthy = CollapseWatchdog(patience=5, sample_fn=lambda: None)
    assert _run(healthy, [0.3] * 10, diverse + diverse) == []


def test_grid_diversity():
    assert grid_diversity(np.ones((8, 3, 3, 1))) == 0.0
    images = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))])
    assert grid_diversity(images) == 0.5


def test_on_train_batch_end_checks_every_n_batches_after_warmup():
    watchdog = CollapseWatchdog(every=10, patience=2, warmup=20)
    for b in range(40):
        watchdog.on_train_batch_end(b, {"d_fake": 1e-5})
    # checks at batches 30 and 40 only: fired at the second
    assert watchdog.warned == {"d_wins"}
    late = CollapseWatchdog(every=10, patience=2, warmup=20)
    for b in range(39):
        late.on_train_batch_end(b, {"d_fake": 1e-5})
    assert late.warned == set()
