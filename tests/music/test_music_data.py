"""Piano-roll sources: MIDI in and out, chorales, npz/LPD files, the training stream, bad input."""

import os

import numpy as np
import pretty_midi
import pytest
import tensorflow as tf

from pipelines import PipelineError
from pipelines import midi as midi_reader
from pipelines import pianoroll as pr
from tfgan.families.music import midi

GRID = pr.RollGrid(
    bars=2,
    steps_per_bar=16,
    lowest_pitch=48,
    num_pitches=24,
    track_names=("melody", "bass"),
    track_match=("program:0", "program:32-39"),
    hop_bars=2,
)


def write_song(path, notes, *, tempo=120.0, time_signature=(4, 4), programs=(0, 33)):
    """Writes (track, pitch, start_step, end_step) notes on a 16-per-bar grid as a MIDI file."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(*time_signature, 0.0))
    step = 60.0 / tempo / 4
    instruments = [pretty_midi.Instrument(program=p, name=f"inst{p}") for p in programs]
    for track, pitch, start, end in notes:
        instruments[track].notes.append(pretty_midi.Note(100, pitch, start * step, end * step))
    pm.instruments.extend(instruments)
    pm.write(str(path))
    return str(path)


def test_roll_to_midi_and_back_is_exact_and_repeated_notes_stay_separate(tmp_path):
    rng = np.random.default_rng(1)
    roll = np.zeros([2, 16, 24, 2], bool)
    roll[0, 0:4, 12, 0] = True  # a note, a one-step gap, the same pitch again: a repeated note
    roll[0, 5:8, 12, 0] = True
    roll[1, 2:3, 5, 1] = True
    roll[0, 14:16, 3, 1] = True  # held over the bar line
    roll[1, 0:2, 3, 1] = True
    roll[..., 1] |= rng.random([2, 16, 24]) < 0.03
    pm = midi.to_midi(roll, steps_per_bar=16, lowest_pitch=48, programs=[0, 33], tempo=120.0)
    melody = sorted((n.pitch, round(n.start * 8), round(n.end * 8)) for n in pm.instruments[0].notes)
    assert melody == [(60, 0, 5), (60, 5, 8)]  # two notes, the first sounding up to the second
    path = tmp_path / "roll.mid"
    midi.write_midi(str(path), roll, steps_per_bar=16, lowest_pitch=48, programs=[0, 33], tempo=120.0)
    song = midi_reader.read_midi(str(path), GRID.matchers(), 16)
    back = pr.windows(pr.song_roll(song, GRID, {}), GRID, {})
    np.testing.assert_array_equal(back[0], roll)


def test_touching_repeats_get_a_one_step_gap_and_merges_are_counted():
    song = midi_reader.Song("s", 16, np.array([[0, 60, 0, 4], [0, 60, 4, 8], [0, 62, 0, 1], [0, 62, 1, 2]], np.int32))
    counts = {}
    roll = pr.song_roll(song, GRID, counts)
    np.testing.assert_array_equal(np.flatnonzero(roll[:, 12, 0]), [0, 1, 2, 4, 5, 6, 7])
    assert counts["repeats_merged"] == 1  # two one-step notes cannot be kept apart


def test_midi_dir_skips_and_counts_bad_files(tmp_path):
    notes = [(0, 60 + i % 5, 2 * i, 2 * i + 2) for i in range(32)] + [(1, 50, 0, 64)]
    write_song(tmp_path / "a.mid", notes)
    os.makedirs(tmp_path / "sub")
    write_song(tmp_path / "sub" / "b.mid", notes)
    (tmp_path / "corrupt.mid").write_bytes(b"MThd garbage")
    write_song(tmp_path / "waltz.mid", notes, time_signature=(3, 4))
    write_song(tmp_path / "strings.mid", notes, programs=(48, 49))
    write_song(tmp_path / "high.mid", notes + [(0, 100, 0, 4)])
    source = pr.open_pianoroll_source(f"midi:{tmp_path}", GRID)
    c = source.info.counts
    assert (c["files"], c["songs"]) == (6, 3)
    assert (c["skipped_unparsable"], c["skipped_time_signature"], c["skipped_no_tracks"]) == (1, 1, 1)
    assert c["notes_out_of_range"] == 1
    assert source.rolls.shape == (6, 2, 16, 24, 2)  # 3 songs x two 2-bar windows
    with pytest.raises(PipelineError, match="1 of .* notes lie outside pitches 48..71"):
        pr.open_pianoroll_source(f"midi:{tmp_path}", pr.RollGrid(**{**GRID.__dict__, "out_of_range": "error"}))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: None, "no MIDI or MusicXML files"),
        (lambda d: (d / "x.mid").write_bytes(b"not midi"), "none of its 1 files is usable.*skipped_unparsable=1"),
        (lambda d: write_song(d / "x.mid", [(0, 60, 0, 4)], programs=(48, 49)), "matching the tracks"),
        (lambda d: write_song(d / "x.mid", [(0, 60, 0, 4)], time_signature=(6, 8)), "4/4 bars only"),
    ],
)
def test_midi_dir_bad_input_is_one_clear_error(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(PipelineError, match=message):
        pr.open_pianoroll_source(f"midi:{tmp_path}", GRID)


def test_bad_specs_and_grids_are_refused(tmp_path):
    with pytest.raises(PipelineError, match="no such directory"):
        pr.open_pianoroll_source(f"midi:{tmp_path / 'missing'}", GRID)
    with pytest.raises(PipelineError, match="unknown piano-roll data"):
        pr.open_pianoroll_source("mp3:x", GRID)
    with pytest.raises(PipelineError, match="cannot hold a 4/4 bar"):
        pr.RollGrid(steps_per_bar=12 + 2)
    with pytest.raises(PipelineError, match="is not name:"):
        midi_reader.TrackMatcher("instrument:piano")


def test_lpd_sparse_npz_loads_and_a_wrong_shape_is_refused(tmp_path):
    dense = np.zeros([3, 4, 48, 84, 5], bool)
    dense[0, 1, 5:9, 40, 1] = True
    dense[2, 3, 0, 10, 0] = True
    path = tmp_path / "lpd.npz"
    np.savez_compressed(path, shape=np.array(dense.shape), nonzero=np.array(np.nonzero(dense)))
    source = pr.open_pianoroll_source(f"lpd:{path}", pr.RollGrid(4, 48, 24, 84, pr.LPD_TRACKS))
    np.testing.assert_array_equal(source.rolls, dense)
    assert source.info.lowest_pitch == 24 and source.info.shape == (4, 48, 84, 5)
    same = pr.open_pianoroll_source(f"npz:{path}", pr.RollGrid(4, 48, 24, 84, pr.LPD_TRACKS))
    np.testing.assert_array_equal(same.rolls, dense)
    wrong = tmp_path / "wrong.npz"
    np.savez_compressed(wrong, shape=np.array([3, 4, 96, 84, 5]), nonzero=np.zeros([5, 0], np.int64))
    with pytest.raises(PipelineError, match=r"shape \[3, 4, 96, 84, 5\] is not LPD-5's"):
        pr.open_pianoroll_source(f"lpd:{wrong}")
    with pytest.raises(PipelineError, match="parameters ask for"):
        pr.open_pianoroll_source(f"lpd:{path}", GRID)
    with pytest.raises(PipelineError, match="no such file"):
        pr.open_pianoroll_source(f"lpd:{tmp_path / 'nope.npz'}")


def test_npz_pianoroll_arrays_and_their_errors(tmp_path):
    rolls = (np.random.default_rng(0).random([5, *GRID.shape]) < 0.05).astype(np.uint8)
    good = tmp_path / "r.npz"
    np.savez(good, pianoroll=rolls)
    np.testing.assert_array_equal(pr.open_pianoroll_source(f"npz:{good}", GRID).rolls, rolls.astype(bool))
    for name, arrays, message in [
        ("k.npz", {"x": rolls}, "expected an array 'pianoroll'"),
        ("v.npz", {"pianoroll": rolls * 3}, "0/1"),
        ("s.npz", {"pianoroll": rolls[:, 0]}, r"\[N, bars, steps, pitches, tracks\]"),
    ]:
        np.savez(tmp_path / name, **arrays)
        with pytest.raises(PipelineError, match=message):
            pr.open_pianoroll_source(f"npz:{tmp_path / name}", GRID)


def test_chorales_are_parsed_once_then_read_from_the_cache(tmp_path, monkeypatch):
    grid = pr.RollGrid(hop_bars=4)
    first = pr.load_chorales(grid, cache_dir=str(tmp_path), limit=3)
    assert len(os.listdir(tmp_path)) == 1 and first.info.counts["files"] == 3
    assert first.rolls.shape[1:] == (4, 16, 48, 4) and first.info.num_examples > 0

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(midi_reader, "read_file", no_parsing)
    again = pr.load_chorales(grid, cache_dir=str(tmp_path), limit=3)
    np.testing.assert_array_equal(again.rolls, first.rolls)
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_transposition_stays_in_range_and_the_stream_resumes_exactly():
    rolls = np.zeros([8, 1, 4, 12, 1], bool)
    for i in range(8):
        rolls[i, 0, 0, [1 + i % 3, 9], 0] = True  # lowest note 1..3, highest 9: room for -1..-3 and +2
    info = pr.RollInfo("t", (1, 4, 12, 1), 8, 48, ("a",))
    source = pr.PianorollSource(rolls, info)
    ds = pr.make_pianoroll_dataset(source, 4, seed=3, group=2, transpose_semitones=5)
    elements = [e["pianoroll"].numpy() for e in ds.take(6)]
    batch = np.concatenate([e.reshape(-1, 1, 4, 12, 1) for e in elements])
    assert batch.shape == (48, 1, 4, 12, 1)
    assert (batch.sum(axis=(1, 2, 3, 4)) == 2).all()  # no note lost at the edges
    shifted = {int(np.flatnonzero(b.any(axis=(0, 1, 3)))[-1]) - 9 for b in batch}
    assert len(shifted) > 1 and max(shifted) <= 2
    resumed = pr.make_pianoroll_dataset(source, 4, seed=3, group=2, transpose_semitones=5, start_step=4)
    np.testing.assert_array_equal(next(iter(resumed))["pianoroll"].numpy(), elements[4])
    x = tf.constant(rolls[:2].astype(np.float32))
    np.testing.assert_array_equal(pr.transpose(x, tf.constant([0, 0])).numpy(), rolls[:2])
    with pytest.raises(PipelineError, match="larger than"):
        pr.make_pianoroll_dataset(source, 9, seed=0)


def _score(path, time_signature="4/4", pickup=True):
    from music21 import meter, note, stream

    score = stream.Score()
    for name, pitch in (("Melody", "C5"), ("Bass", "C3")):
        part = stream.Part()
        part.partName = name
        bar0 = stream.Measure(number=0 if pickup else 1)
        bar0.append(meter.TimeSignature(time_signature))
        if pickup:
            bar0.append(note.Note(pitch, quarterLength=1.0))  # an upbeat
            bar0.paddingLeft = 3.0
        part.append(bar0)
        for number in range(1, 3):
            bar = stream.Measure(number=number)
            for _ in range(4):
                bar.append(note.Note(pitch, quarterLength=1.0))  # repeated notes
            part.append(bar)
        score.insert(0, part)
    score.write("musicxml", fp=str(path))


def test_musicxml_parts_by_name_with_a_pickup_bar_aligned_to_the_bar_line(tmp_path):
    _score(tmp_path / "a.musicxml")
    _score(tmp_path / "waltz.musicxml", "3/4", pickup=False)
    grid = pr.RollGrid(
        bars=2, steps_per_bar=16, lowest_pitch=48, num_pitches=36, track_names=("melody", "bass"), hop_bars=1
    )
    source = pr.open_pianoroll_source(f"midi:{tmp_path}", grid)
    assert source.info.counts["skipped_time_signature"] == 1 and source.info.counts["songs"] == 1
    melody = source.rolls[0, :, :, 72 - 48, 0].reshape(-1)  # C5 in the first window (bars 0-1)
    # The upbeat is the last beat of bar 0; bar 1 holds four repeated quarter notes, each one step short.
    expected = np.zeros(32, bool)
    expected[12:15] = True
    for beat in range(4):
        expected[16 + 4 * beat : 16 + 4 * beat + 3] = True
    np.testing.assert_array_equal(melody, expected)
    bass = source.rolls[..., 1].any(axis=(0, 1, 2))
    np.testing.assert_array_equal(np.flatnonzero(bass), [0])  # the bass part on C3 alone
