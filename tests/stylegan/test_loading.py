"""`loading.load_generator`: a run directory and its export give one frozen generator, and say where it came from."""

import json
import os

import numpy as np
import pytest

from tfgan.errors import ConfigError
from tfgan.families.stylegan import loading


def test_a_run_and_its_export_load_as_the_same_frozen_generator(trained_run):
    run_dir = trained_run.config.model_dir
    from_run, from_export = loading.load_generator(run_dir), loading.load_generator(trained_run.export_dir)
    w = np.random.default_rng(0).standard_normal((2, from_run.num_ws, from_run.w_dim)).astype("float32")
    np.testing.assert_allclose(
        np.array(from_run.synthesis(w, training=False)),
        np.array(from_export.synthesis(w, training=False)),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_array_equal(from_run.w_avg, from_export.w_avg)
    assert from_run.params.dataset == from_export.params.dataset == "digits"
    for gen in (from_run, from_export):
        assert gen.mapping.trainable_variables == [] and gen.synthesis.trainable_variables == []
        assert gen.step == 2 and gen.lineage == (gen.path,)
        assert gen.facts()["num_ws"] == gen.num_ws == 6
    # The run is read from its latest checkpoint, the export from its version.
    assert from_run.path == os.path.abspath(run_dir) and from_run.source.startswith(
        os.path.join(run_dir, "checkpoints")
    )
    assert from_export.source == trained_run.export_dir == from_export.path


def test_a_run_of_another_family_or_nothing_is_refused_with_the_flag_named(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"family": "image"}))
    with pytest.raises(ConfigError, match=f"--low={tmp_path} is a image run, not a StyleGAN2 one"):
        loading.load_generator(str(tmp_path), "--low")
    with pytest.raises(ConfigError, match="--generator is required"):
        loading.load_generator(None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="--high=.*empty is neither a tfgan run directory"):
        loading.load_generator(str(tmp_path / "empty"), "--high")
