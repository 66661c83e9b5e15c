"""What the image family shows: progress line per loss, grouped TensorBoard tags, readable sample grids."""

import re

import numpy as np
import pytest

from tfgan.families.image import summaries
from tfgan.families.image.model import METRIC_NAMES
from tfgan.run import callbacks as cb

LOGS = {name: float(i) for i, name in enumerate(METRIC_NAMES)}


def test_2014_losses_show_the_equilibrium_and_the_losses():
    for loss in ("non_saturating", "minimax"):
        labels = [label for label, _ in cb.progress_items(LOGS, summaries.progress(loss))]
        assert labels == ["D(x)", "D(G(z))", "d_loss", "g_loss"]
    items = dict(cb.progress_items(LOGS, summaries.progress("non_saturating")))
    assert items["D(x)"] == LOGS["d_real"] and items["D(G(z))"] == LOGS["d_fake"]


@pytest.mark.parametrize("loss", ["wasserstein", "hinge", "least_squares"])
def test_critic_losses_show_the_critic_gap(loss):
    items = dict(cb.progress_items(LOGS, summaries.progress(loss)))
    assert set(items) == {"critic_gap", "d_loss", "g_loss"}
    assert items["critic_gap"] == LOGS["critic_real"] - LOGS["critic_fake"]


def flat(written):
    """``(run, tag) -> value`` of `written_scalars`' ``run -> {tag: value}``."""
    return {(run, tag): value for run, scalars in written.items() for tag, value in scalars.items()}


def test_tags_are_grouped_by_meaning():
    written = flat(cb.written_scalars({**LOGS, "gp": 1.0, "r1": 2.0}, summaries.tags("non_saturating")))
    assert {tag.split("/")[0] for _, tag in written} == {"equilibrium", "loss", "gradients"}
    # The game's group sorts first in TensorBoard (groups are alphabetical).
    assert min(tag for _, tag in written).startswith("equilibrium/")
    # D(x) and D(G(z)) are one tag in the runs real and fake: one chart, two colours.
    assert written[("real", "equilibrium/D output")] == LOGS["d_real"]
    assert written[("fake", "equilibrium/D output")] == LOGS["d_fake"]
    assert written[("", "loss/D")] == LOGS["d_loss"]
    critic = flat(cb.written_scalars(LOGS, summaries.tags("wasserstein")))
    assert {tag.split("/")[0] for _, tag in critic} == {"critic", "loss", "gradients"}
    assert critic[("real", "critic/D mean score")] == LOGS["critic_real"]
    assert critic[("fake", "critic/D mean score")] == LOGS["critic_fake"]


@pytest.mark.parametrize("loss", ["non_saturating", "wasserstein"])
def test_tags_hold_no_regex_metacharacters(loss):
    # The custom-scalars page matches tags by regex and draws nothing for "D(x)".
    for _, tag in flat(cb.written_scalars(LOGS, summaries.tags(loss))):
        assert not re.search(r"[()\[\]{}.*+?^$|\\]", tag), tag


def test_reference_lines_belong_to_written_tags():
    written = {tag for _, tag in flat(cb.written_scalars(LOGS, summaries.tags("non_saturating")))}
    assert set(summaries.constants("non_saturating")) <= written
    assert summaries.constants("hinge") == {}


def test_layout_charts_match_written_tags():
    for loss in ("non_saturating", "wasserstein"):
        written = flat(cb.written_scalars(LOGS, summaries.tags(loss)))
        for chart in summaries.layout(loss).category[0].chart:
            matched = [key for key in written if any(re.search(r, key[1]) for r in chart.multiline.tag)]
            assert matched, (loss, chart.title)
    charts = summaries.layout("non_saturating").category[0].chart
    written = flat(cb.written_scalars(LOGS, summaries.tags("non_saturating")))
    first = [key for key in written if re.search(charts[0].multiline.tag[0], key[1])]
    assert sorted(first) == [("fake", "equilibrium/D output"), ("real", "equilibrium/D output")]


def test_sample_grid_cells_are_large_enough_to_read():
    class Generator:
        def __call__(self, z, training=False):
            return np.zeros((len(z), 16, 16, 1), np.float32)

    grid = summaries.sample_grid(Generator(), np.zeros((64, 4), np.float32), (-1.0, 1.0))
    # 8 x 8 cells of 64 px (16 px digits enlarged 4x) with 1 px between them.
    assert grid.shape == (8 * 65 + 1, 8 * 65 + 1, 1)
