import json
import math

import numpy as np
import pytest

from tests._util import run_module, tiny_config
from tfgan import metrics


def test_frechet_distance_of_gaussians_matches_the_closed_form():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    v1, v2 = np.array([1.0, 2.0, 3.0]), np.array([4.0, 2.0, 0.5])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(v1 + v2 - 2 * np.sqrt(v1 * v2))
    assert metrics.frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected, rel=1e-9)
    a = np.array([[2.0, 0.5], [0.5, 1.0]])
    assert metrics.frechet_distance([0, 0], a, [0, 0], a) == pytest.approx(0.0, abs=1e-9)


def test_fid_of_samples_estimates_the_gaussians():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20000, 2)), rng.normal(size=(20000, 2)) * 2 + 1
    expected = 2 * 1.0 + 2 * (1 + 4 - 2 * 2)  # |mu|^2 + Tr(I + 4I - 2*2I)
    assert metrics.fid(x, y) == pytest.approx(expected, rel=0.05)


def test_kid_is_zero_for_one_distribution_and_positive_when_shifted():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(600, 16)), rng.normal(size=(600, 16))
    same, _ = metrics.kernel_inception_distance(x, y, subsets=20, subset_size=300)
    shifted, _ = metrics.kernel_inception_distance(x, y + 0.5, subsets=20, subset_size=300)
    assert abs(same) < 0.01 and shifted > 0.1


def brute_force_parzen(samples, data, sigma):
    out = []
    for x in data:
        log_k = [-np.sum((x - s) ** 2) / (2 * sigma**2) for s in samples]
        m = max(log_k)
        lse = m + math.log(sum(math.exp(v - m) for v in log_k))
        out.append(lse - math.log(len(samples)) - len(x) * math.log(sigma * math.sqrt(2 * math.pi)))
    return np.array(out)


def test_parzen_matches_brute_force_and_chunks_agree():
    rng = np.random.default_rng(1)
    samples, data = rng.uniform(size=(30, 5)), rng.uniform(size=(7, 5))
    expected = brute_force_parzen(samples, data, 0.3)
    np.testing.assert_allclose(metrics.parzen_log_likelihood(samples, data, 0.3), expected, rtol=1e-5)
    np.testing.assert_allclose(metrics.parzen_log_likelihood(samples, data, 0.3, chunk=2), expected, rtol=1e-5)


def test_parzen_sigma_selection_picks_the_best_grid_value():
    rng = np.random.default_rng(2)
    samples, valid = rng.uniform(size=(40, 3)), rng.uniform(size=(25, 3))
    best, scores = metrics.parzen_select_sigma(samples, valid)
    brute = {s: brute_force_parzen(samples, valid, s).mean() for s in metrics.PARZEN_SIGMAS}
    assert best == max(brute, key=brute.get)
    assert 0.1 < best < 1.0  # an interior optimum: the grid matters
    assert set(scores) == set(metrics.PARZEN_SIGMAS) and len(scores) == 10


def test_inception_score_bounds():
    uniform = np.full((100, 10), 0.1)
    assert metrics.inception_score(uniform)[0] == pytest.approx(1.0)
    confident = np.eye(10)[np.arange(100) % 10]
    assert metrics.inception_score(confident, splits=1)[0] == pytest.approx(10.0, rel=1e-6)


def test_class_coverage_sees_collapse():
    collapsed = np.eye(10)[np.zeros(1000, int)]
    hist = metrics.class_histogram(collapsed, 10)
    assert hist.tolist() == [1000] + [0] * 9 and metrics.classes_covered(hist) == 1
    assert metrics.classes_covered(metrics.class_histogram(np.eye(10)[np.arange(1000) % 10], 10)) == 10


def test_evaluate_cli_on_a_tiny_export(tmp_path):
    from tfgan import training

    run = training.train(tiny_config(tmp_path / "run", steps=2), verbose=0)
    out = tmp_path / "eval.json"
    result = run_module(
        "tfgan.evaluate",
        f"--export_dir={run.export_dir}",
        "--dataset=digits",
        "--parzen_samples=200",
        "--parzen_valid=100",
        "--num_samples=200",
        "--train_classifier",
        "--classifier_epochs=1",
        f"--classifier_dir={tmp_path / 'clf'}",
        f"--out={out}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "real training images (reference)" in result.stdout and "classifier score" in result.stdout
    results = json.loads(out.read_text())
    assert results["step"] == 2 and results["num_test"] == 297
    assert set(results["parzen"]) == {"generated", "real_train"}
    assert min(abs(results["parzen"]["generated"]["sigma"] - s) for s in metrics.PARZEN_SIGMAS) < 1e-9
    assert sum(results["classifier"]["class_histogram"]) == 200
    assert 1.0 <= results["classifier"]["classifier_score"] <= 10.0
    assert list((tmp_path / "clf").glob("*.keras"))  # cached for the next evaluation


def test_evaluate_cli_errors_are_clear(tmp_path):
    result = run_module("tfgan.evaluate", f"--export_dir={tmp_path / 'none'}")
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_eval_every_logs_a_parzen_estimate(tmp_path):
    import glob

    import tensorflow as tf

    from tfgan import training

    training.train(tiny_config(tmp_path, steps=4, eval_every=2), verbose=0)
    steps = {}
    for path in glob.glob(str(tmp_path / "logs" / "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for v in event.summary.value:
                if v.tag == "eval/parzen_ll":
                    steps[event.step] = float(tf.make_ndarray(v.tensor))
    assert sorted(steps) == [2, 4]
    assert all(np.isfinite(v) for v in steps.values())
