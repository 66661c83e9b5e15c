"""The StyleGAN2 export: the same pixels in a process without tfgan or Keras, the four signatures, tfgan.sample."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests._util import run_keras_free, run_module
from tfgan import training
from tfgan.errors import ConfigError
from tfgan.families.stylegan import export, networks, sampling, trainer
from tfgan.images import to_uint8

# Runs in a fresh interpreter that must never import tfgan or keras.
FRESH = r"""
import sys
import numpy as np
import pytest
import tensorflow as tf
export_dir, inputs_path, out_path = sys.argv[1:]
model = tf.saved_model.load(export_dir)
inputs = np.load(inputs_path)
sig = model.signatures
seeds = tf.constant([3, 4, 5], tf.int64)
psi = tf.constant(0.7)
out = {
    "z": sig["serving_default"](z=tf.constant(inputs["z"]))["images"].numpy(),
    "w_plus": sig["synthesize"](w_plus=tf.constant(inputs["w_plus"]))["images"].numpy(),
    "codes": sig["mapping"](z=tf.constant(inputs["z"]), truncation=tf.constant(1.0))["w_plus"].numpy(),
    "seeds_a": sig["sample"](seed=seeds, truncation=psi)["images"].numpy(),
    "seeds_b": sig["sample"](seed=seeds, truncation=psi)["images"].numpy(),
    "seed_5": sig["sample"](seed=seeds[2:], truncation=psi)["images"].numpy(),
    "mean": sig["sample"](seed=seeds, truncation=tf.constant(0.0))["images"].numpy(),
}
np.savez(out_path, **out)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("tfgan", "keras", "pipelines") and sys.modules[m])
print("IMPORTED:" + ",".join(bad))
"""


def generator_of(model_dir):
    """The exported (EMA) mapping and synthesis networks and w_avg, rebuilt from the run's checkpoint."""
    config = training.load_saved_config(str(model_dir))
    nets = trainer.build_networks(config.params)
    w_avg = tf.Variable(tf.zeros([config.params.w_dim]))
    ckpt = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    tf.train.Checkpoint(ema_mapping=nets.mapping, ema_synthesis=nets.synthesis, w_avg=w_avg).restore(
        ckpt
    ).assert_existing_objects_matched().expect_partial()
    return nets.mapping, nets.synthesis, w_avg.numpy()


def images(synthesis_net, w_plus):
    return to_uint8(synthesis_net(w_plus, training=False), export.VALUE_RANGE).numpy()


def test_the_export_gives_the_training_process_pixels_without_tfgan_or_keras(trained_run, tmp_path):
    mapping, synthesis_net, w_avg = generator_of(trained_run.config.model_dir)
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, 8)).astype("float32")
    w_plus = rng.standard_normal((2, 6, 8)).astype("float32")
    np.savez(tmp_path / "inputs.npz", z=z, w_plus=w_plus)
    proc = run_keras_free(
        tmp_path, FRESH, trained_run.export_dir, str(tmp_path / "inputs.npz"), str(tmp_path / "o.npz")
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "IMPORTED:\n" in proc.stdout + "\n", proc.stdout
    out = np.load(tmp_path / "o.npz")
    codes = networks.broadcast_w(mapping(z), 6)
    np.testing.assert_allclose(out["codes"], np.asarray(codes), rtol=1e-5, atol=1e-5)
    assert out["z"].dtype == np.uint8 and out["z"].shape == (3, 16, 16, 1)
    assert np.abs(out["z"].astype(int) - images(synthesis_net, codes).astype(int)).max() <= 1
    assert np.abs(out["w_plus"].astype(int) - images(synthesis_net, w_plus).astype(int)).max() <= 1
    # sample: z from the seeds, w truncated towards the mean w
    z_seeds = export.latent(np.array([3, 4, 5]), 8)
    w = networks.truncate(mapping(z_seeds), w_avg, 0.7)
    expected = images(synthesis_net, networks.broadcast_w(w, 6))
    assert np.abs(out["seeds_a"].astype(int) - expected.astype(int)).max() <= 1
    np.testing.assert_array_equal(out["seeds_a"], out["seeds_b"])  # deterministic: the stored noise
    np.testing.assert_array_equal(out["seeds_a"][2:], out["seed_5"])  # a row depends on its own seed only
    assert not np.array_equal(out["seeds_a"][0], out["seeds_a"][1])
    # truncation 0: every seed gives the image of the mean w
    assert all(np.array_equal(out["mean"][0], m) for m in out["mean"][1:])


def test_metadata_records_the_w_plus_layout(trained_run):
    with open(os.path.join(trained_run.export_dir, "metadata.json")) as f:
        meta = json.load(f)
    assert meta["family"] == "stylegan" and meta["image_size"] == 16 and meta["channels"] == 1
    assert (meta["latent_dim"], meta["w_dim"], meta["num_ws"]) == (8, 8, 6)
    assert meta["layers"]["8"] == {"ws": [1, 2, 3], "layers": ["b8_conv0", "b8_conv1", "b8_torgb"]}
    assert set(meta["signatures"]) == {"serving_default", "sample", "synthesize", "mapping"}
    assert meta["signatures"]["synthesize"]["inputs"]["w_plus"] == ["float32", [None, 6, 8]]


def test_tfgan_sample_and_tfgan_export(trained_run, tmp_path):
    base = os.path.dirname(trained_run.export_dir)
    out = run_module(
        "tfgan.sample",
        f"--export_dir={base}",
        "--num=5",
        "--truncation=0.5",
        f"--out={tmp_path / 's.png'}",
        f"--npy={tmp_path / 's.npy'}",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert os.path.isfile(tmp_path / "s.png") and np.load(tmp_path / "s.npy").shape == (5, 16, 16, 1)
    again = training.export_from_run_dir(trained_run.config.model_dir, export_base_dir=str(tmp_path / "again"))
    np.testing.assert_array_equal(
        export.sample_images(again, [0, 1], 0.5), export.sample_images(trained_run.export_dir, [0, 1], 0.5)
    )
    with pytest.raises(ConfigError, match="--truncation is psi in"):
        sampling.SampleOptions(export_dir=base, truncation=2.0)
