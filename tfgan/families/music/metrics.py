"""MuseGAN's objective metrics of piano-rolls (Dong et al. 2018, sec. 5.1), and diversity.

All functions take binary rolls ``[N, bars, steps, pitches, tracks]``
(bool or 0/1) and return per-track (or per-pair) values, averaged over
the phrases' bars:

- EB, `empty_bars`: fraction of bars with no note.
- UPC, `used_pitch_classes`: pitch classes used per non-empty bar (0-12).
- QN, `qualified_notes`: fraction of notes at least `min_length` steps
  long (MuseGAN's text: 3 of 24 steps per beat; its code: 2; here a
  parameter, 2 by default for a 16th-note grid).
- PP, `polyphony`: fraction of steps sounding more than `threshold`
  pitches (MuseGAN's code, threshold 2), over all steps.
- DP, `drum_pattern`: for a drum track, the share of its active cells on
  a 16th-note position (weight 1) or next to one (weight `tolerance`),
  as MuseGAN's code.
- TD, `tonal_distance`: for every pair of tracks, the distance of their
  chroma vectors in Harte et al. 2006's 6-D tonal centroid space, per beat
  (MuseGAN's latest ``metrics.py``; ``per="bar"`` is its v1 code's), over
  the beats (bars) where both play.

Pitch classes: ``"true"`` (default) is ``(lowest_pitch + index) % 12``.
``"released"`` reproduces MuseGAN's released metric code, which reshapes
the pitch axis to (12, pitches / 12) and sums the last axis, so its 12
"classes" are groups of ``pitches / 12`` adjacent semitones (7 for LPD's
84 pitches): use it to compare with the paper's tables. (That code's
``empty_bar_rate`` also returns the non-empty rate; `empty_bars` here is
the empty rate.)

Diversity (`diversity`): the fraction of distinct samples, and of samples
that copy a training phrase (nearest training phrase within a relative
Hamming distance ``copy_tolerance``).

A note is a run of consecutive active steps of one pitch in one track
over the whole phrase (bar lines do not split it); a one-step gap between
two runs of the same pitch is two notes (the repeated-note encoding of
`pipelines.pianoroll`).
"""

from __future__ import annotations

import itertools

import numpy as np

PITCH_CLASS_MODES = ("true", "released")


def _check(rolls) -> np.ndarray:
    rolls = np.asarray(rolls)
    if rolls.ndim != 5:
        raise ValueError(f"rolls must be [N, bars, steps, pitches, tracks], got shape {rolls.shape}")
    return rolls.astype(bool)


def _bars_active(rolls):
    """bool [N, bars, tracks]: the bar holds a note."""
    return rolls.any(axis=(2, 3))


def empty_bars(rolls) -> np.ndarray:
    """EB per track: fraction of bars without a note, float [tracks]."""
    rolls = _check(rolls)
    return 1.0 - _bars_active(rolls).mean(axis=(0, 1))


def chroma(rolls, lowest_pitch: int = 0, pitch_classes: str = "true") -> np.ndarray:
    """Per-bar pitch-class counts of active cells, float [N, bars, 12, tracks].

    Args:
      rolls: [N, bars, steps, pitches, tracks].
      lowest_pitch: MIDI pitch of index 0 (``true`` classes only).
      pitch_classes: ``true`` or ``released`` (see the module docstring).
    """
    rolls = _check(rolls)
    per_pitch = rolls.sum(axis=2).astype(np.float64)  # [N, bars, pitches, tracks]
    pitches = per_pitch.shape[2]
    if pitch_classes == "true":
        classes = (lowest_pitch + np.arange(pitches)) % 12
        out = np.zeros(per_pitch.shape[:2] + (12,) + per_pitch.shape[3:])
        for c in range(12):
            out[:, :, c] = per_pitch[:, :, classes == c].sum(axis=2)
        return out
    if pitch_classes == "released":
        if pitches % 12:
            raise ValueError(f"released pitch classes need pitches divisible by 12, got {pitches}")
        n, bars, _, tracks = per_pitch.shape
        grouped = per_pitch.reshape(n, bars, 12, pitches // 12, tracks)
        return grouped.sum(axis=3)
    raise ValueError(f"pitch_classes={pitch_classes!r} is unknown; choose one of {PITCH_CLASS_MODES}")


def used_pitch_classes(rolls, lowest_pitch: int = 0, pitch_classes: str = "true") -> np.ndarray:
    """UPC per track: mean number of pitch classes used per non-empty bar, float [tracks] (NaN if all empty)."""
    c = chroma(rolls, lowest_pitch, pitch_classes)
    used = (c > 0).sum(axis=2).astype(np.float64)  # [N, bars, tracks]
    active = _check(rolls).any(axis=(2, 3))
    used[~active] = np.nan
    with np.errstate(invalid="ignore"):
        return _nanmean(used.reshape(-1, used.shape[-1]))


def _nanmean(x):
    counts = np.sum(~np.isnan(x), axis=0)
    sums = np.nansum(x, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def note_lengths(rolls):
    """Lengths (steps) of every note, one int array per track."""
    rolls = _check(rolls)
    n, bars, steps, pitches, tracks = rolls.shape
    flat = rolls.reshape(n, bars * steps, pitches, tracks)
    padded = np.pad(flat, ((0, 0), (1, 1), (0, 0), (0, 0))).astype(np.int8)
    change = np.diff(padded, axis=1)  # +1 at an onset, -1 one past the end
    out = []
    for t in range(tracks):
        starts = np.argwhere(change[..., t] == 1)
        ends = np.argwhere(change[..., t] == -1)
        # argwhere is row-major: (sample, step, pitch); order both by (sample, pitch, step) to pair them.
        so = np.lexsort((starts[:, 1], starts[:, 2], starts[:, 0]))
        eo = np.lexsort((ends[:, 1], ends[:, 2], ends[:, 0]))
        out.append(ends[eo, 1] - starts[so, 1])
    return out


def qualified_notes(rolls, min_length: int = 2) -> np.ndarray:
    """QN per track: fraction of notes at least `min_length` steps long (NaN for a track without notes)."""
    return np.array([np.mean(lengths >= min_length) if len(lengths) else np.nan for lengths in note_lengths(rolls)])


def polyphony(rolls, threshold: int = 2) -> np.ndarray:
    """PP per track: fraction of all steps with more than `threshold` pitches sounding."""
    rolls = _check(rolls)
    sounding = rolls.sum(axis=3)  # [N, bars, steps, tracks]
    return (sounding > threshold).mean(axis=(0, 1, 2))


def drum_pattern_mask(steps_per_bar: int, tolerance: float = 0.1) -> np.ndarray:
    """Weight of each step of a bar: 1 on a 16th-note position, `tolerance` one step off, else 0."""
    period = steps_per_bar // 16 if steps_per_bar >= 16 else 1
    position = np.arange(steps_per_bar) % max(period, 1)
    distance = np.minimum(position, max(period, 1) - position)
    return np.where(distance == 0, 1.0, np.where(distance == 1, tolerance, 0.0))


def drum_pattern(rolls, tolerance: float = 0.1) -> np.ndarray:
    """DP per track: weighted share of active cells on the 16th-note grid (MuseGAN's ``drum_in_pattern_rate``)."""
    rolls = _check(rolls)
    mask = drum_pattern_mask(rolls.shape[2], tolerance)
    per_step = rolls.sum(axis=3)  # [N, bars, steps, tracks]
    total = per_step.sum(axis=(0, 1, 2))
    weighted = (per_step * mask[None, None, :, None]).sum(axis=(0, 1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted / np.maximum(total, 1), np.nan)


def tonal_matrix(r1: float = 1.0, r2: float = 1.0, r3: float = 0.5) -> np.ndarray:
    """Harte, Sandler & Gasser 2006's 6x12 projection of chroma onto fifths, minor and major thirds circles."""
    k = np.arange(12)
    return np.stack(
        [
            r1 * np.sin(k * 7 * np.pi / 6),
            r1 * np.cos(k * 7 * np.pi / 6),
            r2 * np.sin(k * 3 * np.pi / 2),
            r2 * np.cos(k * 3 * np.pi / 2),
            r3 * np.sin(k * 2 * np.pi / 3),
            r3 * np.cos(k * 2 * np.pi / 3),
        ]
    )


def tonal_distance(
    rolls, lowest_pitch: int = 0, pitch_classes: str = "true", per: str = "beat"
) -> dict[tuple[int, int], float]:
    """TD of every pair of tracks (i < j): mean of ||T c_i - T c_j|| over the beats (or bars) where both play.

    ``c`` is a track's chroma over the beat (bar), normalised to sum 1; T
    is `tonal_matrix`. A bar is 4 beats (4/4).
    """
    rolls = _check(rolls)
    if per == "beat":
        n, bars, steps, pitches, tracks = rolls.shape
        rolls = rolls.reshape(n, bars * 4, steps // 4, pitches, tracks)
    elif per != "bar":
        raise ValueError(f"per={per!r} is unknown; choose beat or bar")
    c = chroma(rolls, lowest_pitch, pitch_classes)  # [N, beats or bars, 12, tracks]
    totals = c.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = c / totals
    centroids = np.einsum("dk,nbkt->nbdt", tonal_matrix(), normalised)
    out = {}
    for i, j in itertools.combinations(range(c.shape[-1]), 2):
        both = (totals[:, :, 0, i] > 0) & (totals[:, :, 0, j] > 0)
        dist = np.linalg.norm(centroids[..., i] - centroids[..., j], axis=2)[both]
        out[(i, j)] = float(dist.mean()) if dist.size else float("nan")
    return out


def diversity(samples, training, copy_tolerance: float = 0.05, chunk: int = 256) -> dict[str, float]:
    """How many samples differ from each other and from the training phrases.

    Args:
      samples: [N, bars, steps, pitches, tracks] binary.
      training: [M, ...] binary training phrases.
      copy_tolerance: A sample is a copy when its nearest training phrase
        differs in at most this fraction of their active cells (relative
        Hamming distance ``|a xor b| / (|a| + |b|)``; 0 = identical only).

    Returns:
      ``distinct`` (fraction of distinct samples), ``copies`` (fraction
      that copy a training phrase), ``exact_copies``, ``nn_distance``
      (mean relative distance to the nearest training phrase).
    """
    a = _check(samples).reshape(len(samples), -1)
    b = _check(training).reshape(len(training), -1)
    distinct = len({row.tobytes() for row in np.packbits(a, axis=1)}) / max(len(a), 1)
    bf = b.astype(np.float32)
    b_count = bf.sum(axis=1)
    nearest = np.empty(len(a))
    for start in range(0, len(a), chunk):
        block = a[start : start + chunk].astype(np.float32)
        a_count = block.sum(axis=1, keepdims=True)
        overlap = block @ bf.T
        total = a_count + b_count[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(total > 0, (total - 2 * overlap) / total, 0.0)
        nearest[start : start + chunk] = rel.min(axis=1)
    return {
        "distinct": float(distinct),
        "copies": float(np.mean(nearest <= copy_tolerance)),
        "exact_copies": float(np.mean(nearest == 0)),
        "nn_distance": float(nearest.mean()),
    }


def evaluate_rolls(
    rolls,
    *,
    lowest_pitch: int,
    track_names,
    drum_tracks=(),
    pitch_classes: str = "true",
    min_note_length: int = 2,
    polyphony_threshold: int = 2,
    drum_tolerance: float = 0.1,
    td_per: str = "beat",
) -> dict:
    """All per-track metrics of `rolls`, keyed ``EB/<track>``, ``UPC/...``, ``QN``, ``PP``, ``DP``, ``TD/<a>-<b>``.

    EB, QN and PP are fractions (0-1); DP appears for `drum_tracks` only;
    UPC and TD skip drum tracks (they have no pitch classes).
    """
    names = list(track_names)
    out = {}
    for key, values in (
        ("EB", empty_bars(rolls)),
        ("UPC", used_pitch_classes(rolls, lowest_pitch, pitch_classes)),
        ("QN", qualified_notes(rolls, min_note_length)),
        ("PP", polyphony(rolls, polyphony_threshold)),
    ):
        for name, value in zip(names, values, strict=True):
            if key == "UPC" and name in drum_tracks:
                continue
            out[f"{key}/{name}"] = float(value)
    if drum_tracks:
        dp = drum_pattern(rolls, drum_tolerance)
        for name in drum_tracks:
            out[f"DP/{name}"] = float(dp[names.index(name)])
    for (i, j), value in tonal_distance(rolls, lowest_pitch, pitch_classes, td_per).items():
        if names[i] in drum_tracks or names[j] in drum_tracks:
            continue
        out[f"TD/{names[i]}-{names[j]}"] = value
    return out
