"""Scoring an encoder export: the errors are numpy's, and tfgan.evaluate prints the table."""

import json

import numpy as np
import pytest

from tests._util import run_module
from tfgan.families.psp import evaluation


def test_the_errors_are_the_hand_computed_ones():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (5, 6, 7, 3), dtype=np.uint8)
    y = rng.integers(0, 256, (5, 6, 7, 3), dtype=np.uint8)
    r = evaluation.reconstruction_errors(x, y)
    d = (y.astype(np.float64) - x) / 255
    assert r["mse"] == pytest.approx(np.mean(d**2))
    assert r["l2"] == pytest.approx(np.mean([np.linalg.norm(d[i]) for i in range(5)]))
    assert r["psnr"] == pytest.approx(10 * np.log10(1 / np.mean(d**2)))
    assert evaluation.reconstruction_errors(x, x)["mse"] == 0.0


def test_tfgan_evaluate_scores_an_encoder_against_the_mean_image(encoder_run, tmp_path):
    out = tmp_path / "eval.json"
    proc = run_module(
        "tfgan.evaluate",
        f"--export_dir={encoder_run.export_dir}",
        "--num_images=40",
        "--classifier_epochs=1",
        f"--out={out}",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "class agreement" in proc.stdout and "mean image" in proc.stdout
    results = json.loads(out.read_text())
    assert results["content"] == "classes" and results["images"] == 40
    rows = results["rows"]
    assert set(rows) == {"reconstructed", "mean image"}
    assert 0 <= rows["reconstructed"]["agreement"] <= 1 and rows["reconstructed"]["mse"] > 0
