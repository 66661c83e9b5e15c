"""Reading MIDI and MusicXML files into notes on a 4/4 step grid.

A file becomes a `Song`: its notes as integer rows ``(track, pitch, start,
end)`` on a grid of ``steps_per_bar`` steps per 4/4 bar (``start`` and
``end`` in steps, ``end`` exclusive, bar 0 starting at step 0), with the
tracks chosen by `TrackMatcher`. MIDI files are read with pretty_midi,
MusicXML (``.xml``, ``.mxl``, ``.musicxml``) with music21. Files that cannot
be used raise `SkipFile` with the reason a caller counts: ``unparsable``,
``time_signature`` (a bar that is not 4/4) or ``no_tracks`` (no instrument
or part matches a requested track).

`pipelines.pianoroll` turns songs into piano-roll windows.
"""

from __future__ import annotations

import dataclasses
import os
import re

import numpy as np
import pretty_midi

from pipelines.base import PipelineError

MIDI_SUFFIXES = (".mid", ".midi")
SCORE_SUFFIXES = (".xml", ".mxl", ".musicxml")
# Quarter notes in a 4/4 bar: the only metre the grid holds.
BEATS_PER_BAR = 4
# An onset further than this (in steps) from the grid counts as off-grid (it is still quantised).
_GRID_TOLERANCE = 1e-3


class SkipFile(Exception):
    """A file that is skipped and counted; ``reason`` is its counter's name."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Song:
    """One piece on the step grid.

    Attributes:
      name: Where it came from (a file name or a corpus name).
      num_steps: Length in steps, a whole number of bars.
      notes: int32 [M, 4]: ``track, pitch (MIDI number), start, end``
        (steps, end exclusive, end > start).
      off_grid: Notes whose onset or end fell between two steps (rounded).
    """

    name: str
    num_steps: int
    notes: np.ndarray
    off_grid: int = 0


@dataclasses.dataclass(frozen=True)
class TrackMatcher:
    """Which instruments (MIDI) or parts (MusicXML) make up one track.

    A spec is alternatives joined by ``|``, each one of ``name:<text>``
    (the instrument's or part's name contains <text>, case-insensitively),
    ``program:<a>-<b>`` or ``program:<n>`` (General MIDI program numbers
    0-127 of non-drum instruments) or ``drums`` (MIDI's drum channel), e.g.
    ``"program:0-7"`` (pianos) or ``"name:soprano|name:sopran"``.
    Instruments matching several tracks go to the first.
    """

    spec: str

    def __post_init__(self):
        for alt in self.spec.split("|"):
            if not _parse_alternative(alt):
                raise PipelineError(
                    f"track spec {self.spec!r}: {alt!r} is not name:<text>, program:<a>-<b>, program:<n> or drums."
                )

    def matches(self, name: str, program: int | None, is_drum: bool) -> bool:
        """Whether an instrument of this name, GM program and drum flag belongs to the track."""
        for alt in self.spec.split("|"):
            kind, value = _parse_alternative(alt)
            if kind == "drums" and is_drum:
                return True
            if kind == "name" and value.lower() in (name or "").lower():
                return True
            if kind == "program" and not is_drum and program is not None and value[0] <= program <= value[1]:
                return True
        return False


def _parse_alternative(alt: str):
    alt = alt.strip()
    if alt == "drums":
        return ("drums", None)
    kind, sep, value = alt.partition(":")
    if not sep or not value:
        return None
    if kind == "name":
        return ("name", value)
    if kind == "program":
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", value)
        if m:
            low = int(m.group(1))
            high = int(m.group(2)) if m.group(2) else low
            if 0 <= low <= high <= 127:
                return ("program", (low, high))
    return None


def _track_of(matchers, name, program, is_drum):
    for i, matcher in enumerate(matchers):
        if matcher.matches(name, program, is_drum):
            return i
    return None


def _quantise(positions: np.ndarray, steps_per_beat: int):
    """Positions in quarter notes -> (integer steps, how many were off the grid)."""
    steps = positions * steps_per_beat
    rounded = np.round(steps)
    return rounded.astype(np.int64), int(np.count_nonzero(np.abs(steps - rounded) > _GRID_TOLERANCE))


def _song(name, rows, steps_per_bar):
    """A `Song` of rows ``(track, pitch, start_quarters, end_quarters)``."""
    steps_per_beat = steps_per_bar // BEATS_PER_BAR
    if not rows:
        return Song(name, 0, np.zeros([0, 4], np.int32))
    rows = np.asarray(rows, np.float64)
    starts, off_start = _quantise(rows[:, 2], steps_per_beat)
    ends, _ = _quantise(rows[:, 3], steps_per_beat)
    # A note shorter than a step keeps one step rather than vanishing.
    ends = np.maximum(ends, starts + 1)
    keep = starts >= 0
    notes = np.stack([rows[:, 0], rows[:, 1], starts, ends], axis=1)[keep].astype(np.int32)
    num_bars = -(-int(notes[:, 3].max()) // steps_per_bar) if len(notes) else 0
    return Song(name, num_bars * steps_per_bar, notes, off_grid=off_start)


def check_grid(steps_per_bar: int) -> None:
    """Refuses a grid whose bar does not split into 4 equal beats.

    Raises:
      PipelineError: `steps_per_bar` is not a positive multiple of 4.
    """
    if steps_per_bar < BEATS_PER_BAR or steps_per_bar % BEATS_PER_BAR:
        raise PipelineError(
            f"steps_per_bar={steps_per_bar} cannot hold a 4/4 bar's 4 beats; use a multiple of 4 "
            "(16: 16th notes, 48: LPD-5's 12 steps per beat)."
        )


def read_midi(path: str, matchers, steps_per_bar: int) -> Song:
    """A MIDI file's notes on the grid, bar 0 at the file's start.

    Raises:
      SkipFile: Unparsable, not in 4/4 throughout, or no instrument matches.
    """
    try:
        pm = pretty_midi.PrettyMIDI(path)
    except Exception as e:  # noqa: BLE001 - any failure of the parser means a corrupt file
        raise SkipFile("unparsable", f"{path}: {e}") from e
    bad = [
        f"{ts.numerator}/{ts.denominator}"
        for ts in pm.time_signature_changes
        if (ts.numerator, ts.denominator) != (4, 4)
    ]
    if bad:
        raise SkipFile("time_signature", f"{path}: time signature {bad[0]}, not 4/4")
    rows, found = [], []
    for inst in pm.instruments:
        found.append(inst.name or ("drums" if inst.is_drum else f"program {inst.program}"))
        track = _track_of(matchers, inst.name, inst.program, inst.is_drum)
        if track is None:
            continue
        for note in inst.notes:
            start = pm.time_to_tick(note.start) / pm.resolution
            end = pm.time_to_tick(note.end) / pm.resolution
            rows.append((track, note.pitch, start, end))
    if not rows:
        raise SkipFile(
            "no_tracks", f"{path}: no notes in a requested track (instruments: {', '.join(found) or 'none'})"
        )
    return _song(os.path.basename(path), rows, steps_per_bar)


def read_score(score, matchers, steps_per_bar: int, name: str | None = None) -> Song:
    """A music21 score's (or MusicXML file's) notes on the grid.

    A pickup bar is aligned so that bar 1's downbeat falls on a bar line.
    Ties are merged first; grace notes (no duration) are dropped.

    Raises:
      SkipFile: Unparsable, a bar not in 4/4, or no part matches.
    """
    import music21  # noqa: PLC0415 - a quarter-second import, needed for MusicXML and the chorales only

    if isinstance(score, str | os.PathLike):
        name = name or os.path.basename(str(score))
        try:
            score = music21.converter.parse(str(score))
        except Exception as e:  # noqa: BLE001 - any failure of the parser means a corrupt file
            raise SkipFile("unparsable", f"{score}: {e}") from e
    name = name or str(getattr(score.metadata, "title", None) or "score")
    signatures = {ts.ratioString for ts in score.recurse().getElementsByClass("TimeSignature")}
    if signatures - {"4/4"}:
        raise SkipFile("time_signature", f"{name}: time signature {sorted(signatures - {'4/4'})[0]}, not 4/4")
    parts = list(score.parts) if hasattr(score, "parts") and len(score.parts) else [score]
    rows, found, shift = [], [], None
    for part in parts:
        instrument = part.getInstrument(returnDefault=True)
        part_name = part.partName or instrument.instrumentName or ""
        found.append(part_name or "unnamed")
        program = instrument.midiProgram
        is_drum = isinstance(instrument, music21.instrument.UnpitchedPercussion)
        track = _track_of(matchers, part_name, program, is_drum)
        if track is None:
            continue
        if shift is None:
            bar_one = part.measure(1)
            shift = (-float(bar_one.offset)) % BEATS_PER_BAR if bar_one is not None else 0.0
        for note in part.stripTies().flatten().notes:
            length = float(note.quarterLength)
            if length <= 0:
                continue
            start = float(note.offset) + shift
            for pitch in note.pitches:
                rows.append((track, pitch.midi, start, start + length))
    if not rows:
        raise SkipFile("no_tracks", f"{name}: no notes in a requested track (parts: {', '.join(found) or 'none'})")
    return _song(name, rows, steps_per_bar)


def read_file(path: str, matchers, steps_per_bar: int) -> Song:
    """`read_midi` or `read_score` by the file's suffix."""
    if path.lower().endswith(MIDI_SUFFIXES):
        return read_midi(path, matchers, steps_per_bar)
    return read_score(path, matchers, steps_per_bar)


def find_files(directory: str) -> list[str]:
    """MIDI and MusicXML files under `directory`, recursively, sorted.

    Raises:
      PipelineError: The directory is missing or holds none.
    """
    if not os.path.isdir(directory):
        raise PipelineError(f"midi:{directory}: no such directory; point --data=midi:DIR at a folder of MIDI files.")
    found = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for f in sorted(files):
            if f.lower().endswith(MIDI_SUFFIXES + SCORE_SUFFIXES) and not f.startswith("."):
                found.append(os.path.join(root, f))
    if not found:
        raise PipelineError(
            f"midi:{directory}: no MIDI or MusicXML files in it ({', '.join(MIDI_SUFFIXES + SCORE_SUFFIXES)}); "
            "point --data at the folder that holds them."
        )
    return found
