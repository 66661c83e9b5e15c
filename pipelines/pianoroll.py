"""Piano-roll sources: multitrack music as binary tensors.

Element contract
----------------
Every source yields examples ``{"pianoroll": uint8 [bars, steps_per_bar,
pitches, tracks]}`` holding 0 or 1:

- axis 0, bars: consecutive 4/4 bars of one piece (a window);
- axis 1, steps: ``steps_per_bar`` equal steps of a bar (16: a 16th-note
  grid; LPD-5 has 48, i.e. 12 per beat);
- axis 2, pitches: MIDI pitch ``lowest_pitch + index``;
- axis 3, tracks: the instruments or voices, in ``RollGrid.track_names``
  order.

A cell is 1 while a note of that pitch sounds in that track. **Repeated
notes** (a note starting the very step the previous note of the same
pitch and track ends) are kept separate by a one-step gap: the earlier
note loses its last step (or, if it is one step long, the later note its
first; if both are one step long they merge and are counted as
``repeats_merged``). `tfgan.families.music.midi` reads a one-step gap back
as a repeated note, so roll -> MIDI -> roll is exact.

`make_pianoroll_dataset` turns a source into the training stream
``{"pianoroll": float32 [group, batch, bars, steps, pitches, tracks]}``
with values ``low`` (silence) and ``high`` (a note) of ``value_range``.

Sources (`open_pianoroll_source`)
---------------------------------
- ``chorales``: the Bach chorales bundled with music21 (embedded, offline):
  parts Soprano, Alto, Tenor, Bass; chorales with a bar not in 4/4 are
  skipped (counted). Parsing takes over a minute, so the parsed notes are
  cached (atomically) in ``cache_dir`` after the first run.
- ``midi:DIR``: MIDI and MusicXML files under DIR (recursively). Tracks are
  picked by `pipelines.midi.TrackMatcher` specs (``name:...``,
  ``program:a-b``, ``drums``). Files that fail to parse, hold a bar not in
  4/4, or match no track are skipped and counted; if none is left, the
  error says why.
- ``npz:FILE``: an array ``pianoroll`` [N, bars, steps, pitches, tracks]
  (bool or 0/1 integers), or LPD's sparse format (below).
- ``lpd:FILE``: MuseGAN's LPD-5 training file: ``shape`` (= [N, 4, 48, 84,
  5]) and ``nonzero`` (int [5, nnz], the indices of the true cells, as
  ``np.nonzero`` gives them); pitch 0 is MIDI 24, tracks Drums, Piano,
  Guitar, Bass, Strings.

Windowing: pieces are cut into windows of ``bars`` bars starting every
``hop_bars`` bars (a piece shorter than one window gives none). Windows
with a bar in which every track is silent are dropped when
``drop_silent_bars`` (counted as ``windows_silent``). Notes outside
``lowest_pitch .. lowest_pitch + num_pitches - 1`` are dropped and counted
(``notes_out_of_range``), or refused with their count when
``out_of_range="error"``. Transposition augmentation (``transpose=k`` in
`make_pianoroll_dataset`) shifts each example by a uniform random number of
semitones in ``[-k, k]``, limited so that no note leaves the range.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
from collections.abc import Mapping

import numpy as np
import tensorflow as tf

from pipelines import midi
from pipelines.base import PipelineError, stream_options
from tfgan.fileio import atomic_write

CHORALE_TRACKS = ("soprano", "alto", "tenor", "bass")
LPD_TRACKS = ("drums", "piano", "guitar", "bass", "strings")
# LPD-5's grid (Dong et al. 2018, sec. 4.1): 4 bars of 48 steps, 84 pitches from C1.
LPD_SHAPE = (4, 48, 84, 5)
LPD_LOWEST_PITCH = 24
# Bump when the parsed-note format or the parse rules change: old caches are then ignored.
_CACHE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class RollGrid:
    """How pieces become piano-roll windows.

    Attributes:
      bars: Bars per window (axis 0).
      steps_per_bar: Steps per 4/4 bar (axis 1); a multiple of 4.
      lowest_pitch: MIDI pitch of index 0 on axis 2.
      num_pitches: Pitches (axis 2).
      track_names: The tracks (axis 3).
      track_match: One `pipelines.midi.TrackMatcher` spec per track for
        ``midi:`` and ``chorales`` (None: ``name:<track name>``).
      hop_bars: A window starts every this many bars.
      drop_silent_bars: Drop windows with a bar where all tracks are silent.
      out_of_range: ``drop`` notes outside the pitch range (counted) or
        ``error``.
    """

    bars: int = 4
    steps_per_bar: int = 16
    lowest_pitch: int = 36
    num_pitches: int = 48
    track_names: tuple[str, ...] = CHORALE_TRACKS
    track_match: tuple[str, ...] | None = None
    hop_bars: int = 1
    drop_silent_bars: bool = True
    out_of_range: str = "drop"

    def __post_init__(self):
        midi.check_grid(self.steps_per_bar)
        if self.bars < 1 or self.hop_bars < 1 or self.num_pitches < 1:
            raise PipelineError(
                f"bars, hop_bars and num_pitches must be positive, got {self.bars}, {self.hop_bars}, {self.num_pitches}."
            )
        if not 0 <= self.lowest_pitch or self.lowest_pitch + self.num_pitches > 128:
            raise PipelineError(
                f"pitches {self.lowest_pitch}..{self.lowest_pitch + self.num_pitches - 1} are not all MIDI pitches "
                "(0..127); change lowest_pitch or num_pitches."
            )
        if not self.track_names:
            raise PipelineError("give at least one track name.")
        if self.track_match is not None and len(self.track_match) != len(self.track_names):
            raise PipelineError(
                f"{len(self.track_match)} track_match specs for {len(self.track_names)} tracks "
                f"({', '.join(self.track_names)}); give one spec per track."
            )
        if self.out_of_range not in ("drop", "error"):
            raise PipelineError(f"out_of_range={self.out_of_range!r} is unknown; choose drop or error.")

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(bars, steps_per_bar, pitches, tracks)`` of one example."""
        return (self.bars, self.steps_per_bar, self.num_pitches, len(self.track_names))

    def matchers(self) -> list[midi.TrackMatcher]:
        """The track matchers, defaulting to each track's name."""
        specs = self.track_match or tuple(f"name:{name}" for name in self.track_names)
        return [midi.TrackMatcher(spec) for spec in specs]


@dataclasses.dataclass(frozen=True)
class RollInfo:
    """What a piano-roll source holds.

    Attributes:
      name: The spec it was opened from.
      shape: ``(bars, steps_per_bar, pitches, tracks)`` of every example.
      num_examples: Windows in the source.
      lowest_pitch: MIDI pitch of pitch index 0.
      track_names: Names of the tracks (axis 3).
      counts: What was read, skipped, dropped or merged (``files``,
        ``skipped_unparsable``, ``skipped_time_signature``,
        ``skipped_no_tracks``, ``notes``, ``notes_out_of_range``,
        ``notes_off_grid``, ``repeats_merged``, ``windows_silent``, ...).
    """

    name: str
    shape: tuple[int, int, int, int]
    num_examples: int
    lowest_pitch: int
    track_names: tuple[str, ...]
    counts: Mapping[str, int] = dataclasses.field(default_factory=dict)

    @property
    def steps_per_bar(self) -> int:
        return self.shape[1]


class PianorollSource:
    """A finite, ordered collection of piano-roll windows held in memory.

    Args:
      rolls: bool or 0/1 [N, bars, steps, pitches, tracks].
      info: Its `RollInfo` (``num_examples`` and ``shape`` must match).
    """

    def __init__(self, rolls: np.ndarray, info: RollInfo):
        self.rolls = np.asarray(rolls).astype(bool)
        self.info = info

    def examples(self) -> tf.data.Dataset:
        """``{"pianoroll": uint8 [bars, steps, pitches, tracks]}`` in a fixed order."""
        return tf.data.Dataset.from_tensor_slices({"pianoroll": self.rolls.astype(np.uint8)})


# --- From notes to windows. ---


def _separate_repeats(notes: np.ndarray):
    """Applies the repeated-note rule to one song's notes (see the module docstring).

    Returns:
      ``(notes, merged)``: the adjusted int [M, 4] rows and how many
      repeats could not be kept apart.
    """
    if not len(notes):
        return notes, 0
    notes = notes[np.lexsort((notes[:, 2], notes[:, 1], notes[:, 0]))].copy()
    merged = 0
    for i in range(len(notes) - 1):
        cur, nxt = notes[i], notes[i + 1]
        if cur[0] != nxt[0] or cur[1] != nxt[1] or nxt[2] > cur[3]:
            continue
        cur[3] = min(cur[3], nxt[2])  # an overlap (a unison of two merged parts) ends at the next onset
        if cur[3] - cur[2] >= 2:
            cur[3] -= 1
        elif nxt[3] - nxt[2] >= 2 and cur[3] > cur[2]:
            nxt[2] += 1
        elif cur[3] > cur[2]:
            merged += 1
    return notes[notes[:, 3] > notes[:, 2]], merged


def song_roll(song: midi.Song, grid: RollGrid, counts: dict) -> np.ndarray:
    """One song as a bool roll [num_steps, pitches, tracks] (repeats separated, out-of-range notes dropped)."""
    notes, merged = _separate_repeats(song.notes)
    counts["repeats_merged"] = counts.get("repeats_merged", 0) + merged
    index = notes[:, 1] - grid.lowest_pitch
    inside = (index >= 0) & (index < grid.num_pitches)
    counts["notes"] = counts.get("notes", 0) + len(notes)
    counts["notes_out_of_range"] = counts.get("notes_out_of_range", 0) + int(np.count_nonzero(~inside))
    counts["notes_off_grid"] = counts.get("notes_off_grid", 0) + song.off_grid
    roll = np.zeros([song.num_steps, grid.num_pitches, len(grid.track_names)], bool)
    for track, pitch, start, end in notes[inside]:
        roll[start:end, pitch - grid.lowest_pitch, track] = True
    return roll


def windows(roll: np.ndarray, grid: RollGrid, counts: dict) -> np.ndarray:
    """The windows [n, bars, steps, pitches, tracks] of one song roll [steps, pitches, tracks]."""
    bars_total = roll.shape[0] // grid.steps_per_bar
    bars = roll[: bars_total * grid.steps_per_bar].reshape(bars_total, grid.steps_per_bar, *roll.shape[1:])
    starts = range(0, bars_total - grid.bars + 1, grid.hop_bars)
    out = np.stack([bars[s : s + grid.bars] for s in starts]) if len(starts) else np.zeros([0, *grid.shape], bool)
    if grid.drop_silent_bars and len(out):
        silent = ~out.any(axis=(2, 3, 4)).all(axis=1)
        counts["windows_silent"] = counts.get("windows_silent", 0) + int(np.count_nonzero(silent))
        out = out[~silent]
    return out


def songs_to_source(songs, grid: RollGrid, name: str, counts: dict) -> PianorollSource:
    """Windows of all `songs` as a source.

    Raises:
      PipelineError: No window at all, or notes out of range with
        ``out_of_range="error"``.
    """
    parts = [windows(song_roll(song, grid, counts), grid, counts) for song in songs]
    if grid.out_of_range == "error" and counts.get("notes_out_of_range"):
        raise PipelineError(
            f"{name}: {counts['notes_out_of_range']} of {counts['notes']} notes lie outside pitches "
            f"{grid.lowest_pitch}..{grid.lowest_pitch + grid.num_pitches - 1}; widen the range (lowest_pitch, "
            "num_pitches) or pass out_of_range=drop to drop them."
        )
    rolls = np.concatenate(parts) if parts else np.zeros([0, *grid.shape], bool)
    if not len(rolls):
        raise PipelineError(
            f"{name}: no {grid.bars}-bar window in {len(parts)} pieces (counts: {_format_counts(counts)}); "
            "use fewer bars per window or longer pieces."
        )
    if counts.get("notes_out_of_range"):
        logging.warning(
            "%s: dropped %d of %d notes outside pitches %d..%d",
            name,
            counts["notes_out_of_range"],
            counts["notes"],
            grid.lowest_pitch,
            grid.lowest_pitch + grid.num_pitches - 1,
        )
    info = RollInfo(name, grid.shape, len(rolls), grid.lowest_pitch, tuple(grid.track_names), dict(counts))
    return PianorollSource(rolls, info)


def _format_counts(counts) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing read"


# --- The sources. ---


def default_cache_dir() -> str:
    """``$TFGAN_CACHE`` or ``~/.cache/tfgan``."""
    return os.environ.get("TFGAN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "tfgan")


def _save_songs(path: str, songs, counts) -> None:
    lengths = np.array([len(s.notes) for s in songs], np.int64)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        notes=np.concatenate([s.notes for s in songs]) if songs else np.zeros([0, 4], np.int32),
        lengths=lengths,
        num_steps=np.array([s.num_steps for s in songs], np.int64),
        off_grid=np.array([s.off_grid for s in songs], np.int64),
        names=np.array([s.name for s in songs]),
        counts=np.array(json.dumps(counts)),
    )
    atomic_write(path, buffer.getvalue())


def _load_songs(path: str):
    with np.load(path) as f:
        bounds = np.concatenate([[0], np.cumsum(f["lengths"])])
        notes = f["notes"]
        songs = [
            midi.Song(str(name), int(steps), notes[bounds[i] : bounds[i + 1]], int(off))
            for i, (name, steps, off) in enumerate(zip(f["names"], f["num_steps"], f["off_grid"], strict=True))
        ]
        return songs, json.loads(str(f["counts"]))


def chorale_paths(limit: int | None = None) -> list[str]:
    """The MusicXML files of music21's bundled Bach corpus, sorted (the first `limit`)."""
    from music21 import corpus  # noqa: PLC0415 - a quarter-second import, needed for the chorales only

    paths = sorted(str(p) for p in corpus.getComposer("bach") if str(p).endswith(midi.SCORE_SUFFIXES))
    return paths[:limit] if limit else paths


def _read_all(paths, grid: RollGrid, counts: dict) -> list[midi.Song]:
    matchers = grid.matchers()
    songs = []
    for path in paths:
        try:
            songs.append(midi.read_file(path, matchers, grid.steps_per_bar))
        except midi.SkipFile as e:
            counts[f"skipped_{e.reason}"] = counts.get(f"skipped_{e.reason}", 0) + 1
            logging.info("skipped %s", e)
    counts["files"] = len(paths)
    counts["songs"] = len(songs)
    return songs


def load_chorales(grid: RollGrid | None = None, *, cache_dir: str | None = None, limit: int | None = None):
    """The Bach chorales of music21's corpus as a `PianorollSource`.

    Only chorales with all four parts (by `RollGrid.track_match`, default
    the part names Soprano, Alto, Tenor, Bass) and in 4/4 throughout are
    used. The parsed notes are cached in `cache_dir` (default
    `default_cache_dir`) under a name that depends on the grid's step size,
    the track specs and `limit`.

    Args:
      grid: The windowing; default `RollGrid()` (4 bars of 16 steps,
        pitches 36..83, S/A/T/B).
      cache_dir: Where the parsed notes are kept.
      limit: Parse only the first `limit` files (for tests).
    """
    grid = grid or RollGrid()
    matchers = grid.matchers()
    key = json.dumps([_CACHE_VERSION, grid.steps_per_bar, [m.spec for m in matchers], limit])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    path = os.path.join(cache_dir or default_cache_dir(), f"chorales-{digest}.npz")
    songs = None
    if os.path.isfile(path):
        try:
            songs, counts = _load_songs(path)
        except (OSError, ValueError, KeyError) as e:  # a damaged cache is parsed again
            logging.warning("ignoring unreadable chorale cache %s (%s)", path, e)
    if songs is None:
        counts = {}
        songs = _read_all(chorale_paths(limit), grid, counts)
        # A chorale lacking a voice (an incomplete match) is not a four-voice chorale.
        complete = [s for s in songs if len(np.unique(s.notes[:, 0])) == len(matchers)]
        counts["skipped_missing_part"] = len(songs) - len(complete)
        counts["songs"] = len(complete)
        songs = complete
        _save_songs(path, songs, counts)
    return songs_to_source(songs, grid, "chorales", dict(counts))


def load_midi_dir(directory: str, grid: RollGrid) -> PianorollSource:
    """MIDI and MusicXML files of a folder as a `PianorollSource` (see the module docstring).

    Raises:
      PipelineError: No such folder, no music files in it, or no usable
        file (the message counts why each was skipped).
    """
    paths = midi.find_files(directory)
    counts: dict = {}
    songs = _read_all(paths, grid, counts)
    if not songs:
        reasons = _format_counts({k: v for k, v in counts.items() if k.startswith("skipped_")})
        hint = ""
        if counts.get("skipped_no_tracks"):
            specs = ", ".join(m.spec for m in grid.matchers())
            hint = f" No file has an instrument matching the tracks ({specs}): set track_match."
        elif counts.get("skipped_time_signature"):
            hint = " The grid holds 4/4 bars only."
        raise PipelineError(f"midi:{directory}: none of its {len(paths)} files is usable ({reasons}).{hint}")
    return songs_to_source(songs, grid, f"midi:{directory}", counts)


def _open_npz(path: str, spec: str):
    if not os.path.isfile(path):
        raise PipelineError(f"{spec}: no such file.")
    try:
        return np.load(path)
    except (OSError, ValueError) as e:
        raise PipelineError(f"{spec}: not a readable .npz file ({e}).") from e


def load_lpd(path: str, grid: RollGrid | None = None, spec: str | None = None) -> PianorollSource:
    """MuseGAN's LPD-5 sparse training file (``shape`` + ``nonzero``) as a `PianorollSource`.

    Raises:
      PipelineError: Keys missing, a shape other than [N, 4, 48, 84, 5],
        indices that do not fit the shape, or a `grid` that differs.
    """
    spec = spec or f"lpd:{path}"
    with _open_npz(path, spec) as f:
        if "shape" not in f or "nonzero" not in f:
            raise PipelineError(f"{spec}: an LPD file holds arrays 'shape' and 'nonzero'; found {sorted(f.keys())}.")
        shape, nonzero = tuple(int(d) for d in f["shape"]), f["nonzero"]
    if len(shape) != 5 or shape[1:] != LPD_SHAPE:
        raise PipelineError(
            f"{spec}: shape {list(shape)} is not LPD-5's [N, 4, 48, 84, 5] (N phrases, 4 bars, 48 steps, "
            "84 pitches from MIDI 24, 5 tracks); use npz: for other piano-roll arrays."
        )
    if (
        nonzero.ndim != 2
        or nonzero.shape[0] != 5
        or (nonzero.size and (nonzero.min() < 0 or np.any(nonzero.max(axis=1) >= shape)))
    ):
        raise PipelineError(
            f"{spec}: 'nonzero' must be int [5, nnz] indices within {list(shape)}, got {nonzero.shape}."
        )
    rolls = np.zeros(shape, bool)
    rolls[tuple(nonzero)] = True
    grid = grid or RollGrid(4, 48, LPD_LOWEST_PITCH, 84, LPD_TRACKS)
    _check_fixed_grid(spec, grid, LPD_SHAPE, LPD_LOWEST_PITCH)
    info = RollInfo(spec, LPD_SHAPE, shape[0], LPD_LOWEST_PITCH, tuple(grid.track_names), {"windows": shape[0]})
    return PianorollSource(rolls, info)


def _check_fixed_grid(spec, grid: RollGrid, shape, lowest_pitch):
    if tuple(grid.shape) != tuple(shape) or grid.lowest_pitch != lowest_pitch:
        raise PipelineError(
            f"{spec}: the data is [bars, steps, pitches, tracks] = {list(shape)} from pitch {lowest_pitch}, but the "
            f"parameters ask for {list(grid.shape)} from pitch {grid.lowest_pitch}; set bars, steps_per_bar, "
            "num_pitches, lowest_pitch and the track names to the data's (e.g. --preset=musegan_lpd5 for LPD-5)."
        )


def load_npz(path: str, grid: RollGrid) -> PianorollSource:
    """An ``.npz`` of piano-roll windows (array ``pianoroll``) or an LPD sparse file.

    Raises:
      PipelineError: Missing file or key, wrong rank, values other than
        0/1, or a shape other than `grid`'s.
    """
    spec = f"npz:{path}"
    with _open_npz(path, spec) as f:
        keys = set(f.keys())
        if {"shape", "nonzero"} <= keys:
            sparse = True
        elif "pianoroll" in keys:
            sparse, rolls = False, f["pianoroll"]
        else:
            raise PipelineError(
                f"{spec}: expected an array 'pianoroll' [N, bars, steps, pitches, tracks] (or LPD's 'shape' + "
                f"'nonzero'); found {sorted(keys)}."
            )
    if sparse:
        with _open_npz(path, spec) as f:
            shape = tuple(int(d) for d in f["shape"])
        if len(shape) == 5 and shape[1:] == LPD_SHAPE:
            return load_lpd(path, grid, spec)
        raise PipelineError(f"{spec}: sparse shape {list(shape)} is not LPD-5's [N, 4, 48, 84, 5].")
    if rolls.ndim != 5 or not len(rolls):
        raise PipelineError(
            f"{spec}: 'pianoroll' must be [N, bars, steps, pitches, tracks] with N > 0, got {rolls.shape}."
        )
    if rolls.dtype != bool and (not np.issubdtype(rolls.dtype, np.number) or np.any((rolls != 0) & (rolls != 1))):
        raise PipelineError(f"{spec}: 'pianoroll' must hold 0/1 (or bool) values; binarise it first.")
    _check_fixed_grid(spec, grid, rolls.shape[1:], grid.lowest_pitch)
    info = RollInfo(spec, tuple(rolls.shape[1:]), len(rolls), grid.lowest_pitch, tuple(grid.track_names), {})
    return PianorollSource(rolls, info)


SOURCE_KINDS = ("chorales", "midi:<dir>", "npz:<file>", "lpd:<file>")


def open_pianoroll_source(spec: str, grid: RollGrid | None = None, *, cache_dir: str | None = None) -> PianorollSource:
    """Opens a piano-roll source by its spec (one of `SOURCE_KINDS`).

    Raises:
      PipelineError: Unknown kind or unusable data (the message says which).
    """
    grid = grid or RollGrid()
    kind, _, arg = spec.partition(":")
    if kind == "chorales" and not arg:
        return load_chorales(grid, cache_dir=cache_dir)
    if kind == "midi" and arg:
        return load_midi_dir(arg, grid)
    if kind == "npz" and arg:
        return load_npz(arg, grid)
    if kind == "lpd" and arg:
        return load_lpd(arg, grid, spec)
    raise PipelineError(f"unknown piano-roll data {spec!r}; use one of: {', '.join(SOURCE_KINDS)}.")


# --- The training stream. ---


def transpose(rolls: tf.Tensor, shifts: tf.Tensor) -> tf.Tensor:
    """Shifts each roll of a batch [B, bars, steps, pitches, tracks] by ``shifts[i]`` semitones (up if > 0)."""
    pitches = tf.shape(rolls)[3]
    index = tf.range(pitches)[None, :] - tf.cast(shifts, tf.int32)[:, None]
    valid = (index >= 0) & (index < pitches)
    moved = tf.gather(rolls, tf.clip_by_value(index, 0, pitches - 1), axis=3, batch_dims=1)
    return moved * tf.cast(valid, rolls.dtype)[:, None, None, :, None]


def transpose_range(rolls: tf.Tensor, k: int):
    """Per roll, the shifts ``[low, high]`` within ``[-k, k]`` that keep every note in range."""
    pitches = tf.shape(rolls)[3]
    used = tf.reduce_any(rolls > 0, axis=[1, 2, 4])  # [B, pitches]
    index = tf.range(pitches)[None, :]
    lowest = tf.reduce_min(tf.where(used, index, pitches), axis=1)
    highest = tf.reduce_max(tf.where(used, index, -1), axis=1)
    empty = highest < 0
    low = tf.where(empty, 0, tf.maximum(-k, -lowest))
    high = tf.where(empty, 0, tf.minimum(k, pitches - 1 - highest))
    return low, high


def make_pianoroll_dataset(
    source: PianorollSource,
    batch_size: int,
    *,
    seed: int,
    group: int = 1,
    start_step: int = 0,
    value_range: tuple[float, float] = (0.0, 1.0),
    transpose_semitones: int = 0,
) -> tf.data.Dataset:
    """The infinite training stream of a piano-roll source.

    Each data epoch is a fresh seeded shuffle cut into full batches;
    `group` consecutive batches form one element (the k distinct real
    minibatches of k critic steps). Transposition draws from a stateless
    RNG keyed by `seed` and the batch's index in the stream, so a resumed
    stream (`start_step` elements skipped) is the uninterrupted one.

    Returns:
      ``{"pianoroll": float32 [group, batch_size, bars, steps, pitches,
      tracks]}`` with silence ``value_range[0]`` and notes
      ``value_range[1]``.

    Raises:
      PipelineError: Fewer examples than `batch_size`.
    """
    n = source.info.num_examples
    if batch_size <= 0 or group <= 0:
        raise PipelineError(f"batch_size and group must be positive, got {batch_size}, {group}.")
    if n < batch_size:
        raise PipelineError(
            f"--batch_size={batch_size} is larger than {source.info.name!r}, which holds {n} windows; "
            f"use --batch_size={n} or less."
        )
    ds = source.examples().cache().shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True).repeat().enumerate()
    if start_step:
        ds = ds.skip(start_step * group)
    low, high = value_range
    k = int(transpose_semitones)

    def to_float(index, element):
        rolls = element["pianoroll"]
        if k:
            lo, hi = transpose_range(rolls, k)
            u = tf.random.stateless_uniform([batch_size], tf.stack([tf.cast(seed, tf.int64), index]))
            shifts = lo + tf.cast(tf.floor(u * tf.cast(hi - lo + 1, tf.float32)), tf.int32)
            rolls = transpose(rolls, tf.minimum(shifts, hi))
        return tf.cast(rolls, tf.float32) * (high - low) + low

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE).batch(group, drop_remainder=True)
    ds = ds.map(lambda rolls: {"pianoroll": rolls})
    return ds.prefetch(tf.data.AUTOTUNE).with_options(stream_options())


def steps_per_epoch(info: RollInfo, batch_size: int, group: int) -> int:
    """Training elements (groups of minibatches) in one pass, at least 1."""
    return max(1, info.num_examples // batch_size // group)
