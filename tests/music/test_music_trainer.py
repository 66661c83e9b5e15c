"""The music family's Trainer: a few steps, summaries, final files, export and export from a checkpoint."""

import json
import os

import numpy as np
import tensorflow as tf

from tests.music.helpers import tiny
from tfgan.families.music import evaluation, export, sampling, trainer
from tfgan.run.config import RunConfig
from tfgan.run.family import SetupContext


def test_a_short_run_writes_samples_midi_and_an_export_equal_to_the_checkpoints(tmp_path):
    rolls = np.zeros([12, 2, 8, 12, 2], np.uint8)
    for i in range(12):
        rolls[i, :, 0:4, i % 12, 0] = 1
        rolls[i, :, 4:8, (i + 4) % 12, 1] = 1
    np.savez(tmp_path / "data.npz", pianoroll=rolls)
    params = tiny(data=f"npz:{tmp_path / 'data.npz'}", num_samples=3, ema_decay=0.5)
    run = RunConfig(model_dir=str(tmp_path / "run"), steps=2, batch_size=4)
    t = trainer.setup(SetupContext(run=run, params=params, strategy=tf.distribute.get_strategy(), fresh=True))
    assert t.steps_per_epoch == 1  # 12 phrases / (4 per batch x 2 critic batches)
    for element in t.dataset(0).take(2):  # eagerly: tracing the step costs a minute on 2 cores
        t.model.train_step(element)
    assert int(t.model.step.numpy()) == 2
    with tf.summary.create_file_writer(str(tmp_path / "logs")).as_default():
        t.summarize(2)
    written = t.finish(run.model_dir)
    assert os.path.isfile(written["samples"])
    assert sorted(os.listdir(written["samples_midi"])) == ["sample_000.mid", "sample_001.mid", "sample_002.mid"]
    checkpoint = tf.train.Checkpoint(**t.checkpoint).save(str(tmp_path / "ckpt" / "c"))
    live, restored = tmp_path / "live", tmp_path / "restored"
    for directory, write in (
        (live, t.export),
        (restored, lambda s: trainer.export_checkpoint(run, params, checkpoint, s)),
    ):
        os.makedirs(directory)
        info = write(str(directory))
        (directory / "metadata.json").write_text(json.dumps({**info, "family": "music", "version": 1}))
    assert info["step"] == 2 and info["checkpoint"] == checkpoint
    np.testing.assert_array_equal(
        export.sample_pianorolls(str(live), [3, 4]), export.sample_pianorolls(str(restored), [3, 4])
    )
    lines = sampling.sample(
        sampling.SampleOptions(export_dir=str(live), num=2, out=str(tmp_path / "s.png"), midi_dir=str(tmp_path / "mid"))
    )
    assert "2 MIDI files" in lines and len(os.listdir(tmp_path / "mid")) == 2
    results = evaluation.evaluate(evaluation.EvalOptions(export_dir=str(live), num=5))
    assert results["num_real"] == 12 and results["real"]["EB/a"] == 0.0
    assert "TD/a-b" in evaluation.format_results(results)
