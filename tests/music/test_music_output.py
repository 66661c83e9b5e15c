"""What a person sees and hears: piano-roll pictures, synthesised audio, FluidSynth WAVs."""

import wave

import numpy as np
import pytest

from tfgan.errors import TfganError
from tfgan.families.music import audio, midi, summaries


def test_pianoroll_image_colours_tracks_marks_bars_and_puts_high_pitches_on_top():
    rolls = np.zeros([2, 2, 4, 12, 2], bool)
    rolls[0, 0, 1, 11, 0] = True  # highest pitch, track 0, step 1
    rolls[0, 1, 2, 0, 1] = True  # lowest pitch, track 1, step 6
    image = summaries.pianoroll_image(rolls, scale=1)
    assert image.shape == (2 * 12 + 1, 8, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[0, 1], summaries.TRACK_COLOURS[0])
    np.testing.assert_array_equal(image[11, 6], summaries.TRACK_COLOURS[1])
    np.testing.assert_array_equal(image[5, 4], [90, 90, 90])  # bar line at the start of bar 1
    np.testing.assert_array_equal(image[12], np.full([8, 3], 255))  # white line between samples


def test_synthesize_gives_a_normalised_clip_of_the_asked_length():
    roll = np.zeros([1, 4, 12, 1], bool)
    roll[0, :2, 0, 0] = True
    pm = midi.to_midi(roll, steps_per_bar=4, lowest_pitch=60, programs=[0], tempo=120)
    clip = audio.synthesize(pm, sample_rate=8000, seconds=3.0)
    assert clip.shape == (24000,) and np.isclose(np.abs(clip).max(), 1.0)


def test_a_silent_phrase_synthesises_to_zeros_not_nan():
    pm = midi.to_midi(np.zeros([1, 4, 12, 1], bool), steps_per_bar=4, lowest_pitch=60, programs=[0], tempo=120)
    clip = audio.synthesize(pm, sample_rate=8000, seconds=3.0)
    assert clip.shape == (24000,) and np.all(clip == 0)


def test_render_wav_with_fluidsynth_or_a_clear_message(tmp_path):
    roll = np.zeros([1, 4, 12, 1], bool)
    roll[0, :, 4, 0] = True
    path = midi.write_midi(str(tmp_path / "a.mid"), roll, steps_per_bar=4, lowest_pitch=60, programs=[52])
    if not audio.fluidsynth_available():
        with pytest.raises(TfganError, match="apt-get install fluidsynth fluid-soundfont-gm"):
            audio.render_wav(path, str(tmp_path / "a.wav"))
        pytest.skip("fluidsynth or a GM SoundFont is not installed")
    out = audio.render_wav(path, str(tmp_path / "a.wav"), sample_rate=22050)
    with wave.open(out) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 22050 // 2


def test_render_wav_without_a_soundfont_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "SOUNDFONTS", ())
    monkeypatch.delenv("TFGAN_SOUNDFONT", raising=False)
    # Whether or not this machine has FluidSynth: first as if it had, then as if not.
    monkeypatch.setattr(audio.shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(TfganError, match="a General MIDI SoundFont is not installed.*fluid-soundfont-gm"):
        audio.render_wav(str(tmp_path / "a.mid"), str(tmp_path / "a.wav"))
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    with pytest.raises(TfganError, match="the fluidsynth program is not installed.*apt-get install fluidsynth"):
        audio.render_wav(str(tmp_path / "a.mid"), str(tmp_path / "a.wav"))
    assert not (tmp_path / "a.wav").exists()
