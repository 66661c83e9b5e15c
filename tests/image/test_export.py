import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests._util import cli_env, run_keras_free, run_module, tiny_config
from tfgan import training
from tfgan.errors import TfganError
from tfgan.families.image import export as exporting
from tfgan.images import to_uint8
from tfgan.run import exports

LATENT = 100


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny trained run and its export; the generator rebuilt in memory from its checkpoint."""
    model_dir = tmp_path_factory.mktemp("run")
    result = training.train(tiny_config(model_dir, steps=2), verbose=0)
    return result


def generator_from_checkpoint(model_dir):
    from tfgan.families.image import networks

    config = training.load_saved_config(str(model_dir))
    nets = networks.build(config.model, config.latent_dim, (config.image_size, config.image_size, config.channels))
    ckpt = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    tf.train.Checkpoint(generator=nets.generator).restore(ckpt).expect_partial()
    return nets


# Runs in a fresh interpreter that must never import tfgan or keras.
FRESH = r"""
import sys
import numpy as np
import tensorflow as tf
export_dir, z_path, out_path = sys.argv[1:]
model = tf.saved_model.load(export_dir)
z = np.load(z_path)
serve = model.signatures["serving_default"]
sample = model.signatures["sample"]
out = {
    "one": serve(z=tf.constant(z[:1]))["images"].numpy(),
    "all": serve(z=tf.constant(z))["images"].numpy(),
    "seeds_a": sample(seed=tf.constant([5, 6, 7], tf.int64))["images"].numpy(),
    "seeds_b": sample(seed=tf.constant([5, 6, 7], tf.int64))["images"].numpy(),
    "seed_7": sample(seed=tf.constant([7], tf.int64))["images"].numpy(),
    "seeds_c": sample(seed=tf.constant([8, 9, 10], tf.int64))["images"].numpy(),
}
np.savez(out_path, **out)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("tfgan", "keras", "pipelines") and sys.modules[m])
print("IMPORTED:" + ",".join(bad))
"""


def test_savedmodel_in_fresh_process_matches_in_memory_generator(run, tmp_path):
    export_dir = run.export_dir
    nets = generator_from_checkpoint(run.config.model_dir)
    z = np.random.default_rng(0).normal(size=(5, LATENT)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    proc = run_keras_free(tmp_path, FRESH, export_dir, str(tmp_path / "z.npy"), str(tmp_path / "out.npz"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "IMPORTED:\n" in proc.stdout + "\n", proc.stdout
    out = np.load(tmp_path / "out.npz")
    expected = to_uint8(nets.generator(z, training=False), nets.output_range).numpy()
    assert out["all"].dtype == np.uint8 and out["all"].shape == (5, 8, 8, 1)
    assert np.abs(out["all"].astype(int) - expected.astype(int)).max() <= 1
    assert np.abs(out["one"].astype(int) - expected[:1].astype(int)).max() <= 1
    np.testing.assert_array_equal(out["seeds_a"], out["seeds_b"])  # deterministic
    np.testing.assert_array_equal(out["seeds_a"][2:], out["seed_7"])  # a row depends on its own seed only
    assert not np.array_equal(out["seeds_a"], out["seeds_c"])
    assert not np.array_equal(out["seeds_a"][0], out["seeds_a"][1])


def test_sample_signature_draws_the_training_noise(run):
    nets = generator_from_checkpoint(run.config.model_dir)
    seeds = np.arange(3)
    z = exporting.stateless_latent(seeds, LATENT, nets.noise)
    expected = to_uint8(nets.generator(z, training=False), nets.output_range).numpy()
    got = exporting.sample_images(run.export_dir, seeds)
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
    uniform = exporting.stateless_latent(np.arange(2000), 50, "uniform").numpy()
    assert uniform.min() >= -np.sqrt(3) and uniform.max() <= np.sqrt(3)
    normal = exporting.stateless_latent(np.arange(2000), 50, "normal").numpy()
    assert abs(normal.std() - 1) < 0.03 and abs(uniform.std() - 1) < 0.03


def test_saved_model_cli_lists_both_signatures(run):
    cli = shutil.which("saved_model_cli") or os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    proc = subprocess.run(
        [cli, "show", "--dir", run.export_dir, "--all"], capture_output=True, text=True, env=cli_env(), timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = proc.stdout
    serving = text[text.index("signature_def['serving_default']") :]
    sample = text[text.index("signature_def['sample']") : text.index("signature_def['serving_default']")]
    assert "inputs['z'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 100)" in serving
    assert "outputs['images'] tensor_info:\n        dtype: DT_UINT8\n        shape: (-1, 8, 8, 1)" in serving
    assert "inputs['seed'] tensor_info:\n        dtype: DT_INT64\n        shape: (-1)" in sample
    assert "outputs['images'] tensor_info:\n        dtype: DT_UINT8\n        shape: (-1, 8, 8, 1)" in sample


def rest_request_to_tensors(body, signature):
    """TF Serving's REST "row" format: instances -> one batched tensor per input."""
    _, inputs = signature.structured_input_signature
    instances = body["instances"]
    if isinstance(instances[0], dict):
        columns = {name: [row[name] for row in instances] for name in inputs}
    else:
        (name,) = inputs
        columns = {name: instances}
    return {name: tf.constant(np.asarray(columns[name]), dtype=inputs[name].dtype) for name in inputs}


def test_rest_json_requests_are_accepted(run):
    model = tf.saved_model.load(run.export_dir)
    z = np.random.default_rng(1).normal(size=(2, LATENT)).round(4).tolist()
    body = json.loads(json.dumps({"instances": z}))
    sig = model.signatures["serving_default"]
    images = sig(**rest_request_to_tensors(body, sig))["images"]
    assert images.shape == (2, 8, 8, 1) and images.dtype == tf.uint8
    body = json.loads(json.dumps({"signature_name": "sample", "instances": [{"seed": 1}, {"seed": 2}, {"seed": 3}]}))
    sig = model.signatures[body["signature_name"]]
    images = sig(**rest_request_to_tensors(body, sig))["images"]
    assert images.shape == (3, 8, 8, 1)


def test_metadata_next_to_the_savedmodel(run):
    import stat

    # Readable by a server running as another user (temp files start as 0600).
    assert stat.S_IMODE(os.stat(run.export_dir).st_mode) & 0o055 == 0o055
    assert stat.S_IMODE(os.stat(os.path.join(run.export_dir, "metadata.json")).st_mode) & 0o044 == 0o044
    meta = exports.load_metadata(run.export_dir)
    assert meta["latent_dim"] == LATENT and meta["image_shape"] == [8, 8, 1] and meta["step"] == 2
    assert meta["model"] == "dcgan" and meta["dataset"] == "digits" and meta["noise"] == "normal"


def test_export_cli_adds_a_version_and_sample_cli_reads_it(run, tmp_path):
    base = os.path.dirname(run.export_dir)
    before = sorted(os.listdir(base))
    result = run_module("tfgan.export", f"--model_dir={run.config.model_dir}")
    assert result.returncode == 0, result.stderr[-2000:]
    new = str(exports.next_version(base) - 1)
    assert new not in before and sorted(os.listdir(base)) == sorted([*before, new])
    out = tmp_path / "grid.png"
    result = run_module(
        "tfgan.sample", f"--export_dir={base}", "--num=6", "--seed=3", f"--out={out}", f"--npy={tmp_path / 'x.npy'}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    grid = tf.io.decode_png(out.read_bytes())
    assert grid.shape[-1] == 1
    # The tiny run's 8x8 images drawn in 64-px cells, as in TensorBoard: 2 rows x 3 columns, 1 px between.
    assert grid.shape[:2] == (2 * 65 + 1, 3 * 65 + 1)
    images = np.load(tmp_path / "x.npy")
    np.testing.assert_array_equal(images, exporting.sample_images(os.path.join(base, new), np.arange(3, 9)))


def listing(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def test_export_without_checkpoint_fails_clearly(tmp_path):
    config = tiny_config(tmp_path)
    os.makedirs(tmp_path / "checkpoints")
    (tmp_path / "config.json").write_text(config.to_json())
    with pytest.raises(TfganError, match="no checkpoint to export"):
        training.export_from_run_dir(str(tmp_path))
    assert listing(tmp_path / "export" / "generator") == []
    result = run_module("tfgan.export", f"--model_dir={tmp_path / 'nothing'}")
    assert result.returncode == 2 and "not a tfgan run" in result.stderr and "Traceback" not in result.stderr


def test_export_from_corrupt_checkpoint_leaves_no_version(run, tmp_path):
    model_dir = tmp_path / "copy"
    shutil.copytree(run.config.model_dir, model_dir)
    base = model_dir / "export" / "generator"
    before = listing(base)
    ckpt = tf.train.latest_checkpoint(str(model_dir / "checkpoints"))
    data = ckpt + ".data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 3)
    with pytest.raises(TfganError, match="cannot read checkpoint"):
        training.export_from_run_dir(str(model_dir))
    assert listing(base) == before  # no partial or temporary version directory


def test_export_never_overwrites_and_refuses_nan_generators(tmp_path):
    import keras

    gen = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4), keras.layers.Reshape((2, 2, 1))])
    first = exporting.export_generator(gen, str(tmp_path), latent_dim=4, noise="normal", value_range=(-1, 1))
    second = exporting.export_generator(gen, str(tmp_path), latent_dim=4, noise="normal", value_range=(-1, 1))
    assert (os.path.basename(first), os.path.basename(second)) == ("1", "2")
    gen.layers[0].kernel.assign(np.full((4, 4), np.nan, np.float32))
    with pytest.raises(TfganError, match="NaN"):
        exporting.export_generator(gen, str(tmp_path), latent_dim=4, noise="normal", value_range=(-1, 1))
    assert listing(tmp_path) == ["1", "2"]
