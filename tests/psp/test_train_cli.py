"""pSp through `python -m tfgan.train`: exact resume, and bad input as one error line with nothing written."""

import json
import os

import numpy as np
import pytest

from tests._util import run_module
from tests.psp.conftest import TINY_ENCODER, psp_config
from tests.stylegan.test_train_cli import checkpoint_tensors, error_line
from tfgan import training
from tfgan.errors import ConfigError
from tfgan.run import exports


def flags(generator_dir):
    given = {**TINY_ENCODER, "generator": generator_dir, "checkpoint_every": 2, "w_norm_weight": 0.01}
    return ("--preset=psp_mnist32", "--deterministic", *(f"--{k}={v}" for k, v in given.items()))


def test_a_run_stopped_and_restarted_ends_with_the_weights_of_an_uninterrupted_one(generator_run, tmp_path):
    g = generator_run.config.model_dir
    resumed = str(tmp_path / "resumed")
    first = run_module("tfgan.train", *flags(g), "--steps=2", f"--model_dir={resumed}")
    assert first.returncode == 0, first.stderr[-3000:]
    second = run_module("tfgan.train", *flags(g), "--steps=4", f"--model_dir={resumed}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "at step 2 of 4" in second.stderr
    assert "export:" in second.stdout and os.path.isfile(os.path.join(resumed, "reconstructions.png"))
    straight = tmp_path / "straight"
    training.train(psp_config(straight, g, steps=4, deterministic=True, w_norm_weight=0.01), verbose=0)
    a, b = checkpoint_tensors(resumed), checkpoint_tensors(straight)
    assert a.keys() == b.keys()
    assert any(k.startswith("encoder_optimizer") for k in a) and any("moving_mean" in k for k in a)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_lpips_and_identity_from_weights_files_train_and_are_recorded(generator_run, weights_files, tmp_path):
    out = tmp_path / "run"
    given = (f"--lpips_weights={weights_files['lpips']}", f"--id_weights={weights_files['id']}", "--id_weight=0.2")
    proc = run_module("tfgan.train", *flags(generator_run.config.model_dir), *given, "--steps=2", f"--model_dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "lpips=" in proc.stdout and "id=" in proc.stdout
    with open(out / "config.json") as f:
        params = json.load(f)  # run and family fields, flat
    assert params["lpips_weights"] == weights_files["lpips"] and params["id_weight"] == 0.2
    meta = exports.load_metadata(exports.latest_version(str(out / "export" / "encoder")))
    assert meta["losses"]["lpips"] == {"weight": 0.8, "weights_file": weights_files["lpips"]}
    assert meta["losses"]["id"]["weight"] == 0.2 and meta["backbone"] == "small"


@pytest.mark.parametrize(
    "given, message",
    [
        (("--lpips_weights={missing}",), "--lpips_weights={missing}: no such file. Convert the LPIPS weights"),
        (("--id_weights={lpips}",), "no tensor 'input_layer.0.weight'; this is not a ArcFace IR-SE50 state dict"),
        (("--backbone_weights={id}",), "pretrained weights exist only for pSp's IR-SE50; add --backbone=ir_se50"),
        (("--backbone=resnet50",), "--backbone='resnet50' is unknown; choose one of: small, ir_se50"),
    ],
)
def test_bad_weights_flags_are_one_error_line_and_nothing_is_written(
    generator_run, weights_files, tmp_path, given, message
):
    names = {**weights_files, "missing": str(tmp_path / "nowhere.npz")}
    out = tmp_path / "run"
    flags_given = [g.format(**names) for g in given]
    proc = run_module(
        "tfgan.train", *flags(generator_run.config.model_dir), *flags_given, "--steps=1", f"--model_dir={out}"
    )
    error_line(proc)
    assert message.format(**names) in proc.stderr
    assert not (out / "checkpoints").exists()


def test_a_size_other_than_the_generators_or_a_missing_generator_is_refused(generator_run, tmp_path):
    out = tmp_path / "run"
    proc = run_module(
        "tfgan.train", *flags(generator_run.config.model_dir), "--image_size=32", "--steps=1", f"--model_dir={out}"
    )
    error_line(proc)
    assert "--image_size=32: the generator's is 16" in proc.stderr
    assert not (out / "checkpoints").exists()
    with pytest.raises(ConfigError, match="does not exist; give a StyleGAN2 run directory"):
        training.train(psp_config(tmp_path / "b", tmp_path / "nowhere"), verbose=0)
    assert not (tmp_path / "b" / "checkpoints").exists()
