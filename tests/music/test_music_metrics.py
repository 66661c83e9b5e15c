"""MuseGAN's metrics on hand-made piano-rolls with known answers."""

import math

import numpy as np
import pytest

from tfgan.families.music import metrics


def roll(bars=1, steps=8, pitches=24, tracks=1, n=1):
    return np.zeros([n, bars, steps, pitches, tracks], bool)


def test_empty_bars_counts_bars_without_a_note_per_track():
    x = roll(bars=4, tracks=2)
    x[0, 0, 3, 5, 0] = True  # track 0 plays in bar 0 only
    x[0, 1:, 0, 0, 1] = True  # track 1 in bars 1-3
    np.testing.assert_allclose(metrics.empty_bars(x), [0.75, 0.25])


def test_used_pitch_classes_true_and_released_binning_differ_as_documented():
    octave = roll()
    octave[0, 0, 0, [0, 12], 0] = True  # C and the C an octave up: one class; two 2-semitone bins
    semitone = roll()
    semitone[0, 0, 0, [0, 1], 0] = True  # C and C#: two classes; one bin (24 pitches / 12 = 2 per bin)
    assert metrics.used_pitch_classes(octave, lowest_pitch=48)[0] == 1
    assert metrics.used_pitch_classes(octave, pitch_classes="released")[0] == 2
    assert metrics.used_pitch_classes(semitone, lowest_pitch=48)[0] == 2
    assert metrics.used_pitch_classes(semitone, pitch_classes="released")[0] == 1


def test_used_pitch_classes_uses_the_pitch_offset_and_skips_empty_bars():
    x = roll(bars=3)
    x[0, 0, 0, [0, 10], 0] = True  # from D (50): D and C (60) -> 2 classes
    x[0, 1, 0, [0, 2, 7], 0] = True  # D, E, A -> 3 classes; bar 2 empty (not counted)
    assert metrics.used_pitch_classes(x, lowest_pitch=50)[0] == pytest.approx(2.5)
    c = metrics.chroma(x, lowest_pitch=50)
    assert c[0, 0, 2, 0] == 1 and c[0, 0, 0, 0] == 1  # D is class 2, C class 0


def test_qualified_notes_counts_runs_across_bar_lines_and_gaps_split_notes():
    x = roll(bars=2, steps=4)
    x[0, 0, 0, 0, 0] = True  # length 1
    x[0, 0, 2:4, 1, 0] = True  # length 2
    x[0, 1, 0:2, 1, 0] = True  # continues over the bar line: the same note, length 4
    x[0, 0, 0:3, 2, 0] = True  # length 3, then a one-step gap, then length 1: two notes
    x[0, 1, 0, 2, 0] = True
    lengths = sorted(metrics.note_lengths(x)[0].tolist())
    assert lengths == [1, 1, 3, 4]
    assert metrics.qualified_notes(x, min_length=2)[0] == pytest.approx(2 / 4)
    assert metrics.qualified_notes(x, min_length=4)[0] == pytest.approx(1 / 4)


def test_polyphony_is_the_share_of_steps_with_more_than_threshold_pitches():
    x = roll(bars=1, steps=8)
    x[0, 0, 0, [0, 4, 7], 0] = True  # a triad on 2 of 8 steps
    x[0, 0, 1, [0, 4, 7], 0] = True
    x[0, 0, 2, [0, 4], 0] = True  # two pitches: not more than 2
    assert metrics.polyphony(x)[0] == pytest.approx(2 / 8)
    assert metrics.polyphony(x, threshold=1)[0] == pytest.approx(3 / 8)


def test_drum_pattern_weights_16th_positions_and_their_neighbours():
    mask = metrics.drum_pattern_mask(48, tolerance=0.1)  # 3 steps per 16th
    np.testing.assert_allclose(mask[:6], [1, 0.1, 0.1, 1, 0.1, 0.1])
    np.testing.assert_allclose(metrics.drum_pattern_mask(96)[:6], [1, 0.1, 0, 0, 0, 0.1])
    x = roll(bars=1, steps=48, pitches=12)
    x[0, 0, [0, 3, 1, 4], 0, 0] = True  # two on the grid, two one step off
    assert metrics.drum_pattern(x)[0] == pytest.approx((1 + 1 + 0.1 + 0.1) / 4)


def test_tonal_distance_of_a_fifth_equals_the_hand_computed_centroid_distance():
    x = roll(tracks=2, pitches=24)
    x[0, 0, :, 0, 0] = True  # C
    x[0, 0, :, 7, 1] = True  # G
    s, c = math.sin, math.cos
    # Tonal centroids of classes 0 and 7 (Harte et al. 2006): fifths (7/6 pi k), minor thirds (3/2 pi k),
    # major thirds (2/3 pi k, radius 0.5).
    a = [0, 1, 0, 1, 0, 0.5]
    b = [
        s(49 * math.pi / 6),
        c(49 * math.pi / 6),
        s(21 * math.pi / 2),
        c(21 * math.pi / 2),
        0.5 * s(14 * math.pi / 3),
        0.5 * c(14 * math.pi / 3),
    ]
    expected = math.dist(a, b)
    assert metrics.tonal_distance(x, lowest_pitch=48)[(0, 1)] == pytest.approx(expected)
    same = roll(tracks=2)
    same[0, 0, 0, [0, 4, 7], :] = True
    assert metrics.tonal_distance(same)[(0, 1)] == pytest.approx(0.0, abs=1e-12)


def test_tonal_distance_skips_bars_where_a_track_is_silent():
    x = roll(bars=2, tracks=2)
    x[0, 0, :, 0, 0] = True
    x[0, 0, :, 0, 1] = True  # bar 0: unison, distance 0
    x[0, 1, :, 0, 0] = True  # bar 1: track 1 silent -> not counted
    assert metrics.tonal_distance(x)[(0, 1)] == pytest.approx(0.0, abs=1e-12)


def test_tonal_distance_per_beat_and_per_bar_differ_as_computed_by_hand():
    x = roll(tracks=2, steps=8)
    x[0, 0, 0:4, 0, 0] = True  # beats 1-2: C against C (distance 0)
    x[0, 0, 0:4, 0, 1] = True
    x[0, 0, 4:8, 0, 0] = True  # beats 3-4: C against G
    x[0, 0, 4:8, 7, 1] = True
    fifth = metrics.tonal_distance(roll_fifth(), lowest_pitch=48)[(0, 1)]
    assert metrics.tonal_distance(x, per="beat")[(0, 1)] == pytest.approx(fifth / 2)
    t = metrics.tonal_matrix()
    bar = np.linalg.norm(t[:, 0] - (t[:, 0] + t[:, 7]) / 2)  # C vs half C, half G
    assert metrics.tonal_distance(x, per="bar")[(0, 1)] == pytest.approx(bar)


def roll_fifth():
    x = roll(tracks=2)
    x[0, 0, :, 0, 0] = True
    x[0, 0, :, 7, 1] = True
    return x


def test_diversity_counts_distinct_samples_and_copies_of_training_phrases():
    rng = np.random.default_rng(0)
    train = rng.random([5, 2, 8, 12, 2]) < 0.1
    fresh = rng.random([1, 2, 8, 12, 2]) < 0.1
    near = train[1:2].copy()
    on = np.argwhere(near)
    near[tuple(on[0])] = False  # one cell of a training phrase removed: a near copy
    samples = np.concatenate([train[:1], train[:1], fresh, near])
    out = metrics.diversity(samples, train, copy_tolerance=0.05)
    assert out["distinct"] == pytest.approx(3 / 4)
    assert out["exact_copies"] == pytest.approx(2 / 4)
    assert out["copies"] == pytest.approx(3 / 4)
    assert metrics.diversity(samples, train, copy_tolerance=0.0)["copies"] == pytest.approx(2 / 4)


def test_evaluate_rolls_names_every_metric_per_track_and_pair():
    x = roll(bars=2, tracks=3, pitches=24)
    x[0, :, :, 3, :] = True
    out = metrics.evaluate_rolls(x, lowest_pitch=48, track_names=["d", "p", "b"], drum_tracks=["d"])
    assert {"EB/d", "QN/p", "PP/b", "DP/d", "UPC/p", "TD/p-b"} <= set(out)
    assert "UPC/d" not in out and "TD/d-p" not in out
    with pytest.raises(ValueError, match="pitch_classes"):
        metrics.chroma(x, pitch_classes="semitones")
