"""Scoring a StyleGAN2 export: the domain classifier's figures beside the real reference, truncation, errors."""

import json
import math

import numpy as np
import pytest

from pipelines import domains
from tests._util import run_module
from tests.stylegan.helpers import tiny_params
from tfgan import families
from tfgan.errors import ConfigError, TfganError
from tfgan.families.stylegan import evaluation, trainer
from tfgan.run import exports

# Tiny: 64 samples, a classifier trained for one epoch (cached in the module's folder after the first test).
FAST = dict(num_samples=64, classifier_epochs=1, train_classifier=True)


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("classifiers"))


def untrained_export(base, **overrides):
    """A freshly initialised tiny generator written as an export (no training)."""
    params = tiny_params(**overrides)
    mapping, synthesis_net = trainer.build_generator(params)
    w_avg = np.zeros([params.w_dim], np.float32)
    return exports.publish(
        str(base),
        lambda staging: trainer.write_export(None, params, mapping, synthesis_net, w_avg, 0, staging),
        family="stylegan",
    )


def test_a_two_step_export_scores_far_from_the_real_reference(trained_run, classifier_dir):
    assert families.get("stylegan").evaluate is evaluation.evaluate  # what python -m tfgan.evaluate dispatches to
    results = evaluation.evaluate(dict(export_dir=trained_run.export_dir, classifier_dir=classifier_dir, **FAST))
    assert results["dataset"] == results["classifier_dataset"] == "digits"  # from metadata.json
    assert results["image_shape"] == [16, 16, 1] and results["step"] == 2 and results["truncation"] == 1.0
    k = results["classifier"]
    assert math.isfinite(k["classifier_fid"]) and math.isfinite(k["classifier_fid_real"])
    # Two steps of training make noise: the real train-vs-test reference is far closer to the test images.
    assert k["classifier_fid_real"] < k["classifier_fid"] / 2
    assert sum(k["class_histogram"]) == 64 and len(k["class_histogram"]) == 10
    assert 0.3 < results["classifier_test_accuracy"] <= 1.0  # chance: 0.1
    table = evaluation.format_results(results)
    assert "classifier-FID" in table and "real reference" in table and "truncation 1" in table
    json.dumps(results)  # what tfgan.evaluate writes to --out


def test_truncation_zero_draws_only_the_mean_image(trained_run, classifier_dir):
    results = evaluation.evaluate(
        dict(export_dir=trained_run.export_dir, classifier_dir=classifier_dir, truncation=0.0, **FAST)
    )
    hist = results["classifier"]["class_histogram"]
    # Every sample is the image of the mean w: one image, so one class.
    assert max(hist) == 64 and results["classifier"]["classes_covered"] == 1


def test_a_one_class_export_is_scored_by_the_whole_datasets_classifier(tmp_path, classifier_dir):
    export_dir = untrained_export(tmp_path / "threes", dataset="digits#class=3")
    results = evaluation.evaluate(dict(export_dir=export_dir, classifier_dir=classifier_dir, **FAST))
    assert results["dataset"] == "digits#class=3" and results["classifier_dataset"] == "digits"
    threes = domains.open_domain("digits#class=3", split="test", image_size=16).info.num_examples
    assert results["num_test"] == threes < 297
    # The real threes are judged threes by the digits' classifier.
    assert np.argmax(results["classifier"]["class_histogram_real"]) == 3
    assert "the domain classifier is digits's" in evaluation.format_results(results)


def test_bad_input_is_refused_with_the_fix(trained_run, tmp_path):
    with pytest.raises(TfganError, match="does not exist"):
        evaluation.evaluate(dict(export_dir=str(tmp_path / "none")))
    with pytest.raises(ConfigError, match=r"--truncation is psi in \[0, 1\]"):
        evaluation.EvalOptions(export_dir=trained_run.export_dir, truncation=1.5)
    with pytest.raises(TfganError, match="trained on --dataset=digits, not tfds:mnist.*--allow_mismatch"):
        evaluation.evaluate(dict(export_dir=trained_run.export_dir, dataset="tfds:mnist", data_dir=str(tmp_path)))
    empty = str(tmp_path / "no_classifiers")
    with pytest.raises(ConfigError, match=f"no domain classifier of digits at 16x16x1 is cached in {empty}"):
        evaluation.evaluate(dict(export_dir=trained_run.export_dir, classifier_dir=empty, num_samples=8))


def test_the_evaluate_cli_prints_the_table_of_a_stylegan_export(trained_run, classifier_dir, tmp_path):
    out = tmp_path / "eval.json"
    flags = ("--num_samples=64", "--train_classifier", "--classifier_epochs=1", f"--classifier_dir={classifier_dir}")
    done = run_module(
        "tfgan.evaluate", f"--export_dir={trained_run.export_dir}", "--truncation=0.7", *flags, f"--out={out}"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "at truncation 0.7" in done.stdout and "classifier-FID (vs test)" in done.stdout
    assert "(train vs test)" in done.stdout  # the real reference row
    results = json.loads(out.read_text())
    assert results["truncation"] == pytest.approx(0.7) and sum(results["classifier"]["class_histogram"]) == 64
    refused = run_module("tfgan.evaluate", f"--export_dir={trained_run.export_dir}", "--parzen_samples=10")
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(errors) == 1 and "--parzen_samples: not a setting of evaluating a stylegan export" in errors[0]
