"""Sound from piano-rolls: WAV files through FluidSynth, and a quick synthesiser for TensorBoard.

`render_wav` runs the ``fluidsynth`` program with a General MIDI SoundFont
(Debian: ``apt-get install fluidsynth fluid-soundfont-gm``); without them
it raises a `TfganError` saying so. `synthesize` needs neither: it is
pretty_midi's additive synthesiser (one sine per note), good enough to
hear the fixed-noise samples in ``tf.summary.audio``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np
import pretty_midi

from tfgan.errors import TfganError
from tfgan.fileio import publish_mode

SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
)
INSTALL_HINT = (
    "install FluidSynth and a General MIDI SoundFont (Debian/Ubuntu: apt-get install fluidsynth "
    "fluid-soundfont-gm; macOS: brew install fluid-synth plus any GM .sf2) or pass soundfont=PATH"
)


def find_soundfont(soundfont: str | None = None) -> str | None:
    """`soundfont` if it exists, else the first installed GM SoundFont of `SOUNDFONTS` (or $TFGAN_SOUNDFONT)."""
    for path in (soundfont, os.environ.get("TFGAN_SOUNDFONT"), *SOUNDFONTS):
        if path and os.path.isfile(path):
            return path
    return None


def fluidsynth_available(soundfont: str | None = None) -> bool:
    """Whether `render_wav` can run here."""
    return shutil.which("fluidsynth") is not None and find_soundfont(soundfont) is not None


def render_wav(midi_path: str, wav_path: str, *, soundfont: str | None = None, sample_rate: int = 44100) -> str:
    """Renders a MIDI file to a WAV file with FluidSynth (written under a temporary name, then renamed).

    Raises:
      TfganError: FluidSynth or a SoundFont is missing, or rendering failed.
    """
    program = shutil.which("fluidsynth")
    font = find_soundfont(soundfont)
    if program is None or font is None:
        missing = "the fluidsynth program" if program is None else "a General MIDI SoundFont"
        raise TfganError(f"cannot render {wav_path}: {missing} is not installed; {INSTALL_HINT}.")
    directory = os.path.dirname(os.path.abspath(wav_path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(wav_path)}.", suffix=".wav", dir=directory)
    os.close(fd)
    try:
        result = subprocess.run(
            [program, "-ni", "-g", "1.0", "-F", tmp, "-r", str(sample_rate), "-T", "wav", font, midi_path],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or os.path.getsize(tmp) == 0:
            raise TfganError(f"fluidsynth failed on {midi_path}: {(result.stderr or result.stdout).strip()[-500:]}")
        publish_mode(tmp)
        os.replace(tmp, wav_path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return wav_path


def synthesize(pm: pretty_midi.PrettyMIDI, sample_rate: int = 16000, seconds: float | None = None) -> np.ndarray:
    """float32 [samples] in [-1, 1]: `pm` played by pretty_midi's sine synthesiser, peak-normalised.

    Args:
      seconds: Pad or cut to this length (so that clips stack into one
        ``tf.summary.audio`` batch).
    """
    if any(instrument.notes for instrument in pm.instruments):
        wave = pm.synthesize(fs=sample_rate).astype(np.float32)
    else:
        # pretty_midi divides a note-less clip by its peak, 0, and returns NaN; silence is zeros.
        wave = np.zeros(int(round(pm.get_end_time() * sample_rate)), np.float32)
    if seconds is not None:
        n = int(round(seconds * sample_rate))
        wave = np.pad(wave[:n], (0, max(0, n - len(wave))))
    peak = float(np.max(np.abs(wave))) if wave.size else 0.0
    return wave / peak if peak > 0 else wave
