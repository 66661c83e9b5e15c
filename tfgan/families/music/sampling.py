"""`python -m tfgan.sample` for music exports: piano-roll pictures, MIDI files and WAVs from the export alone."""

from __future__ import annotations

import dataclasses
import io
import os

import numpy as np

from tfgan.errors import ConfigError, TfganError
from tfgan.families.music import audio, export, midi, summaries
from tfgan.fileio import atomic_write
from tfgan.images import write_png
from tfgan.run import exports


@dataclasses.dataclass(frozen=True)
class SampleOptions:
    """What to draw from a music export.

    Attributes:
      export_dir: An export version directory, or the base holding versions (latest used).
      num: Number of phrases.
      seed: First seed; phrase i uses seed + i.
      out: Output PNG of the piano-rolls (tracks in colour, bars marked).
      midi_dir: Write one MIDI file per phrase here.
      wav: Also render each MIDI file to WAV with FluidSynth (needs midi_dir).
      soundfont: General MIDI SoundFont for --wav; default an installed one.
      npy: Also save the uint8 piano-rolls [num, bars, steps, pitches, tracks] here.
      condition: Accompaniment exports: an .npy of the given tracks, uint8
        [num, bars, steps, pitches, len(condition_tracks)].
      tempo: MIDI tempo (quarter notes per minute); default the export's.
    """

    export_dir: str
    num: int = 8
    seed: int = 0
    out: str = "samples.png"
    midi_dir: str | None = None
    wav: bool = False
    soundfont: str | None = None
    npy: str | None = None
    condition: str | None = None
    tempo: float | None = None

    def __post_init__(self):
        if self.num < 1:
            raise ConfigError(f"--num must be positive, got {self.num}.")
        if self.wav and not self.midi_dir:
            raise ConfigError("--wav renders the MIDI files: give --midi_dir too.")


def midi_options(info: dict, tempo: float | None = None) -> dict:
    """`midi.to_midi` keyword arguments from an export's metadata alone."""
    return dict(
        steps_per_bar=info["steps_per_bar"],
        lowest_pitch=info["lowest_pitch"],
        programs=info["programs"],
        track_names=info["track_names"],
        drums=info["drums"],
        tempo=tempo or info["tempo"],
        velocity=info["velocity"],
    )


def write_outputs(rolls, info: dict, *, out=None, midi_dir=None, wav=False, soundfont=None, tempo=None) -> list[str]:
    """Writes the picture, MIDI files and WAVs of `rolls`; returns the lines to print."""
    lines = []
    if out:
        write_png(out, summaries.pianoroll_image(rolls))
        lines.append(f"piano-rolls -> {out}")
    if midi_dir:
        paths = midi.write_midi_files(midi_dir, rolls, **midi_options(info, tempo))
        lines.append(f"{len(paths)} MIDI files -> {midi_dir}")
        if wav:
            if not audio.fluidsynth_available(soundfont):
                raise TfganError(f"--wav: FluidSynth or a SoundFont is missing; {audio.INSTALL_HINT}.")
            for path in paths:
                audio.render_wav(path, os.path.splitext(path)[0] + ".wav", soundfont=soundfont)
            lines.append(f"{len(paths)} WAV files -> {midi_dir}")
    return lines


def sample(options: SampleOptions) -> str:
    """Draws `options.num` phrases from the export and writes what `options` asks for."""
    export_dir = exports.latest_version(options.export_dir)
    info = export.load_metadata(export_dir)
    condition = None
    if options.condition:
        try:
            condition = np.load(options.condition)
        except (OSError, ValueError) as e:
            raise TfganError(f"--condition={options.condition}: not a readable .npy file ({e}).") from e
    rolls = export.sample_pianorolls(export_dir, np.arange(options.seed, options.seed + options.num), condition)
    lines = [f"{options.num} phrases of {export_dir} (uint8 {list(rolls.shape)}: bars, steps, pitches, tracks)"]
    lines += write_outputs(
        rolls,
        info,
        out=options.out,
        midi_dir=options.midi_dir,
        wav=options.wav,
        soundfont=options.soundfont,
        tempo=options.tempo,
    )
    if options.npy:
        buffer = io.BytesIO()
        np.save(buffer, rolls, allow_pickle=False)
        atomic_write(options.npy, buffer.getvalue())
        lines.append(f"piano-rolls -> {options.npy}")
    return "\n".join(lines)
