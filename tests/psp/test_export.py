"""The encoder export: the training process's codes and pixels in a process without tfgan or Keras."""

import json
import os

import numpy as np
import tensorflow as tf

from tests._util import run_keras_free
from tfgan.families.psp import export, trainer
from tfgan.families.stylegan.loading import load_generator
from tfgan.images import to_uint8

FRESH = r"""
import sys
import numpy as np
import tensorflow as tf
export_dir, inputs_path, out_path = sys.argv[1:]
sig = tf.saved_model.load(export_dir).signatures
x = np.load(inputs_path)
out = {
    "w_plus": sig["encode"](images=tf.constant(x["exact"]))["w_plus"].numpy(),
    "images": sig["serving_default"](images=tf.constant(x["exact"]))["images"].numpy(),
    "rgba": sig["serving_default"](images=tf.constant(x["rgba"]))["images"].numpy(),
}
np.savez(out_path, **out)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("tfgan", "keras", "pipelines") and sys.modules[m])
print("IMPORTED:" + ",".join(bad))
"""


def test_the_export_gives_the_training_process_codes_without_tfgan_or_keras(encoder_run, generator_run, tmp_path):
    rng = np.random.default_rng(0)
    exact = rng.integers(0, 256, (3, 16, 16, 1), dtype=np.uint8)  # the generator's size: no resizing
    rgba = rng.integers(0, 256, (2, 20, 24, 4), dtype=np.uint8)  # any size and channels
    np.savez(tmp_path / "in.npz", exact=exact, rgba=rgba)
    proc = run_keras_free(tmp_path, FRESH, encoder_run.export_dir, str(tmp_path / "in.npz"), str(tmp_path / "out.npz"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "IMPORTED:\n" in proc.stdout + "\n", proc.stdout
    out = np.load(tmp_path / "out.npz")
    # By hand: the run's checkpointed encoder and generator.
    config = encoder_run.config
    encoder = trainer.build_encoder(config.params)
    gen = load_generator(config.params.generator)
    w_avg = tf.Variable(tf.zeros([8]))
    ckpt = tf.train.latest_checkpoint(os.path.join(config.model_dir, "checkpoints"))
    tf.train.Checkpoint(encoder=encoder, synthesis=gen.synthesis, w_avg=w_avg).restore(ckpt).expect_partial()
    x = exact.astype(np.float32) / 127.5 - 1
    w_plus = np.array(encoder(x, training=False)) + w_avg.numpy()
    np.testing.assert_allclose(out["w_plus"], w_plus, rtol=1e-4, atol=1e-5)
    pixels = to_uint8(gen.synthesis(w_plus, training=False), (-1.0, 1.0)).numpy()
    assert np.abs(out["images"].astype(int) - pixels.astype(int)).max() <= 1
    assert out["rgba"].shape == (2, 16, 16, 1) and out["rgba"].dtype == np.uint8


def test_metadata_names_the_w_plus_layout_and_the_generator(encoder_run, generator_run):
    with open(os.path.join(encoder_run.export_dir, "metadata.json")) as f:
        meta = json.load(f)
    assert meta["family"] == "psp" and (meta["num_ws"], meta["w_dim"]) == (6, 8)
    assert (meta["image_size"], meta["channels"]) == (16, 1)
    assert meta["generator"]["path"] == os.path.abspath(generator_run.config.model_dir)
    assert meta["signatures"]["encode"]["outputs"]["w_plus"] == ["float32", [None, 6, 8]]
    loaded = export.load_encoder(os.path.dirname(encoder_run.export_dir))
    assert loaded.path == encoder_run.export_dir
