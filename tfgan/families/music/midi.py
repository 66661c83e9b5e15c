"""Piano-rolls to MIDI files (pretty_midi).

One instrument per track (its General MIDI program, drums on channel 10),
notes from runs of consecutive active steps of a pitch, constant velocity,
a constant tempo. A one-step gap between two runs of the same pitch is the
repeated-note encoding of `pipelines.pianoroll`: the first note then
sounds until the second begins (``legato_repeats``), and reading the file
back gives the same roll.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

import numpy as np
import pretty_midi

from tfgan.errors import TfganError
from tfgan.fileio import atomic_write


def roll_notes(roll: np.ndarray, legato_repeats: bool = True) -> list[list[tuple[int, int, int]]]:
    """Notes of one roll [bars, steps, pitches, tracks]: per track, ``(pitch index, start, end)`` in steps."""
    roll = np.asarray(roll).astype(bool)
    if roll.ndim != 4:
        raise TfganError(f"a piano-roll is [bars, steps, pitches, tracks]; got shape {roll.shape}.")
    bars, steps, pitches, tracks = roll.shape
    flat = roll.reshape(bars * steps, pitches, tracks)
    padded = np.pad(flat, ((1, 1), (0, 0), (0, 0))).astype(np.int8)
    change = np.diff(padded, axis=0)
    out = []
    for t in range(tracks):
        notes = []
        for p in range(pitches):
            starts = np.flatnonzero(change[:, p, t] == 1)
            ends = np.flatnonzero(change[:, p, t] == -1)
            if legato_repeats and len(starts) > 1:
                # A gap of exactly one step before the next onset of this pitch: a repeated note.
                ends = ends.copy()
                repeated = starts[1:] - ends[:-1] == 1
                ends[:-1][repeated] += 1
            notes.extend((p, int(s), int(e)) for s, e in zip(starts, ends, strict=True))
        out.append(sorted(notes, key=lambda n: (n[1], n[0])))
    return out


def to_midi(
    roll: np.ndarray,
    *,
    steps_per_bar: int,
    lowest_pitch: int,
    programs: Sequence[int],
    track_names: Sequence[str] | None = None,
    drums: Sequence[bool] | None = None,
    tempo: float = 100.0,
    velocity: int = 100,
    legato_repeats: bool = True,
) -> pretty_midi.PrettyMIDI:
    """One roll [bars, steps, pitches, tracks] as a `pretty_midi.PrettyMIDI` (4/4, `tempo` quarter notes a minute)."""
    tracks = np.asarray(roll).shape[-1]
    if len(programs) != tracks:
        raise TfganError(f"{len(programs)} programs for {tracks} tracks; give one General MIDI program per track.")
    track_names = list(track_names or [f"track {i}" for i in range(tracks)])
    drums = list(drums or [False] * tracks)
    seconds_per_step = 60.0 / tempo / (steps_per_bar / 4)
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    for t, notes in enumerate(roll_notes(roll, legato_repeats)):
        inst = pretty_midi.Instrument(program=int(programs[t]), is_drum=bool(drums[t]), name=track_names[t])
        for p, start, end in notes:
            inst.notes.append(
                pretty_midi.Note(
                    velocity=int(velocity),
                    pitch=lowest_pitch + p,
                    start=start * seconds_per_step,
                    end=end * seconds_per_step,
                )
            )
        pm.instruments.append(inst)
    return pm


def midi_bytes(pm: pretty_midi.PrettyMIDI) -> bytes:
    """The standard MIDI file of `pm`."""
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def write_midi(path: str, roll: np.ndarray, **kwargs) -> str:
    """Writes one roll as a MIDI file (atomically); keyword arguments as `to_midi`. Returns `path`."""
    atomic_write(path, midi_bytes(to_midi(roll, **kwargs)))
    return path


def write_midi_files(directory: str, rolls: np.ndarray, prefix: str = "sample", **kwargs) -> list[str]:
    """Writes ``<directory>/<prefix>_<i>.mid`` for each roll of [N, bars, steps, pitches, tracks]."""
    os.makedirs(directory, exist_ok=True)
    width = max(3, len(str(len(rolls) - 1)))
    return [
        write_midi(os.path.join(directory, f"{prefix}_{i:0{width}d}.mid"), r, **kwargs) for i, r in enumerate(rolls)
    ]
