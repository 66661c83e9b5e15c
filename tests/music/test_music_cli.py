"""The music family through the run machinery and the CLIs: exact resume, tfgan.sample, tfgan.evaluate."""

import json
import os

import numpy as np
import tensorflow as tf

from tests._util import run_module
from tests.music.helpers import TINY_FIELDS
from tfgan import config as config_lib
from tfgan import training

TINY = dict(
    **TINY_FIELDS,
    num_samples=2,
    transpose=2,
    batch_size=4,
    checkpoint_every=2,
    log_every=1,
    sample_every=2,
    deterministic=True,
)


def write_data(path):
    rolls = np.zeros([24, 2, 8, 12, 2], np.uint8)
    for i in range(24):
        rolls[i, :, 0:3, 2 + i % 6, 0] = 1
        rolls[i, :, 4:8, 2 + (i + 3) % 6, 1] = 1
    np.savez(path, pianoroll=rolls)
    return f"npz:{path}"


def tiny(model_dir, data, steps):
    return config_lib.resolve("chorales", data=data, model_dir=str(model_dir), steps=steps, **TINY)


def weights(model_dir):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")))
    return {
        k: reader.get_tensor(k)
        for k in reader.get_variable_to_shape_map()
        if "save_counter" not in k and "OBJECT_GRAPH" not in k
    }


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    data = write_data(tmp_path / "data.npz")
    training.train(tiny(tmp_path / "resumed", data, 2), verbose=0)
    resumed = training.train(tiny(tmp_path / "resumed", data, 4), verbose=0)
    straight = training.train(tiny(tmp_path / "straight", data, 4), verbose=0)
    assert resumed.step == straight.step == 4
    a, b = weights(tmp_path / "resumed"), weights(tmp_path / "straight")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert os.path.isfile(resumed.artefacts["samples"])
    assert len(os.listdir(resumed.artefacts["samples_midi"])) == 2
    saved = json.loads((tmp_path / "resumed" / "config.json").read_text())
    assert saved["family"] == "music" and saved["track_names"] == ["a", "b"]

    export = resumed.export_dir
    out = run_module(
        "tfgan.sample",
        f"--export_dir={os.path.dirname(export)}",
        "--num=3",
        f"--midi_dir={tmp_path / 'midi'}",
        f"--out={tmp_path / 's.png'}",
        f"--npy={tmp_path / 's.npy'}",
    )
    assert out.returncode == 0, out.stderr
    assert sorted(os.listdir(tmp_path / "midi")) == ["sample_000.mid", "sample_001.mid", "sample_002.mid"]
    assert np.load(tmp_path / "s.npy").shape == (3, 2, 8, 12, 2)
    out = run_module("tfgan.evaluate", f"--export_dir={export}", "--num=5", f"--out={tmp_path / 'eval.json'}")
    assert out.returncode == 0, out.stderr
    results = json.loads((tmp_path / "eval.json").read_text())
    assert results["num_real"] == 24 and "TD/a-b" in results["samples"]
    bad = run_module("tfgan.sample", f"--export_dir={export}", "--wav")
    assert bad.returncode == 2 and "--midi_dir" in bad.stderr
