"""A run directory written by the release before the family layout keeps working (issue: lose nothing on upgrade)."""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from tests._util import run_module
from tests.compat import release_run
from tfgan import training
from tfgan.run import exports


@pytest.fixture(scope="module")
def release_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    try:
        release_run.release_code(str(tmp_path_factory.mktemp("code")))
    except (RuntimeError, OSError) as e:  # a shallow clone has no history to take the release from
        pytest.skip(f"the release's code is not in this clone's history: {e}")
    release_run.main(str(out))
    return out


def weights(model_dir):
    """G's and D's variables in the run's latest checkpoint, by checkpoint key."""
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")))
    keys = [k for k in reader.get_variable_to_shape_map() if k.startswith(("generator/", "discriminator/"))]
    assert keys
    return {k: reader.get_tensor(k) for k in keys}


def test_release_run_resumes_to_the_same_final_weights(release_runs, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(release_runs / "resumed", run_dir)
    assert "family" not in json.loads((run_dir / "config.json").read_text())  # the release's config.json
    config = training.load_saved_config(str(run_dir))
    assert config.family.name == "image" and config.params.latent_dim == 4
    result = training.train(config.replace(steps=8), verbose=0)
    assert result.step == 8
    new, old = weights(run_dir), weights(release_runs / "straight")
    assert new.keys() == old.keys()
    for key in old:
        np.testing.assert_allclose(new[key], old[key], rtol=1e-5, atol=1e-6, err_msg=key)
    # The new export sits beside the release's, one version up, and says its family.
    assert os.path.basename(result.export_dir) == "2"
    assert exports.load_metadata(result.export_dir)["family"] == "image"


def test_release_export_is_sampled_and_evaluated(release_runs, tmp_path):
    export_dir = release_runs / "resumed" / "export" / "generator"
    meta = json.loads((export_dir / "1" / "metadata.json").read_text())
    assert "family" not in meta and exports.load_metadata(str(export_dir / "1"))["family"] == "image"
    out = tmp_path / "grid.png"
    proc = run_module("tfgan.sample", f"--export_dir={export_dir}", "--num=4", f"--out={out}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert tf.io.decode_png(out.read_bytes()).shape[-1] == 1
    small = ["--parzen_samples=50", "--parzen_valid=50", "--num_samples=50", f"--out={tmp_path / 'e.json'}"]
    proc = run_module("tfgan.evaluate", f"--export_dir={export_dir}", *small)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert np.isfinite(json.loads((tmp_path / "e.json").read_text())["parzen"]["generated"]["ll"])


def test_release_code_is_the_pinned_commit():
    sha = subprocess.run(
        ["git", "-C", release_run.ROOT, "rev-parse", "--verify", "--quiet", f"{release_run.RELEASE}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if sha.returncode:
        pytest.skip("shallow clone: the release commit is not in the history")
    tree = subprocess.run(
        ["git", "-C", release_run.ROOT, "ls-tree", "--name-only", release_run.RELEASE, "tfgan/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "tfgan/gan.py" in tree and "tfgan/families" not in tree  # the flat layout this test upgrades from
