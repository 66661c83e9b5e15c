"""Scoring an encoder export: the errors are numpy's, and tfgan.evaluate prints the table."""

import json

import numpy as np
import pytest

from tfgan import families
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


def test_the_evaluation_scores_an_encoder_against_the_mean_image(encoder_run):
    assert families.get("psp").evaluate is evaluation.evaluate  # what python -m tfgan.evaluate dispatches to
    results = evaluation.evaluate(dict(export_dir=encoder_run.export_dir, num_images=40, classifier_epochs=1))
    table = evaluation.format_results(results)
    assert "class agreement" in table and "mean image" in table
    assert results["content"] == "classes" and results["images"] == 40
    rows = results["rows"]
    assert set(rows) == {"reconstructed", "mean image"}
    assert 0 <= rows["reconstructed"]["agreement"] <= 1 and rows["reconstructed"]["mse"] > 0
    json.dumps(results)  # what tfgan.evaluate writes to --out
