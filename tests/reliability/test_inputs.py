"""Inputs that used to slip through: one error (or a warning), exit 2, nothing written into the run directory."""

import json
import logging
import shutil
import struct
import zlib

import numpy as np
import pytest

import pipelines
from tests._util import run_module, tiny_config
from tests.reliability._helpers import tiny
from tfgan import guards, training
from tfgan.errors import TfganError
from tfgan.families.image import evaluation, networks
from tfgan.families.image import export as exporting
from tfgan.run import exports


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("trained") / "run"
    training.train(tiny_config(model_dir, steps=2), verbose=0)
    return model_dir


def png_header(path, width, height):
    """A PNG whose header says width x height (its pixel data is absent): a decompression bomb's shape."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def refused(tmp_path, *flags, message, module="tfgan.train"):
    run = tmp_path / "run"
    args = tiny(*flags, f"--model_dir={run}") if module == "tfgan.train" else flags
    result = run_module(module, *args)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not run.exists()  # nothing written, not even the directory
    return result


def test_a_huge_image_is_refused_from_its_header(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    png_header(folder / "bomb.png", 20000, 20000)  # 400 MP: gigabytes once decoded
    refused(tmp_path, f"--dataset=folder:{folder}", message="is 400,000,000 pixels, more than the limit of 67,108,864")


def test_the_pixel_limit_can_be_raised(tmp_path):
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.full((40, 40), 60 * i, np.uint8)).save(folder / f"{i}.png")
    with pytest.raises(
        pipelines.PipelineError, match=r"is 40x40 pixels, more than the limit of 1,000.*--max_image_pixels=1600"
    ):
        pipelines.open_source(f"folder:{folder}", max_image_pixels=1000)
    assert pipelines.open_source(f"folder:{folder}", max_image_pixels=1600).info.image_shape == (40, 40, 1)


def test_labels_outside_the_classes_are_refused_for_a_conditional_run(tmp_path):
    y = np.arange(32) % 10
    y[5] = -1
    np.savez(tmp_path / "labels.npz", x=np.zeros((32, 8, 8), np.uint8), y=y)
    refused(
        tmp_path,
        f"--dataset=npz:{tmp_path / 'labels.npz'}",
        "--conditional",
        message="1 label(s) lie outside 0..9, e.g. -1 at index 5",
    )


def test_nan_images_say_nan(tmp_path):
    x = np.full((32, 8, 8), 0.5, np.float32)
    x[3, 1, 1] = np.nan
    np.savez(tmp_path / "nan.npz", x=x)
    refused(
        tmp_path,
        f"--dataset=npz:{tmp_path / 'nan.npz'}",
        message="the images hold NaN values (1 of 2048, first in image 3)",
    )


def test_a_failed_start_writes_nothing(tmp_path):
    np.savez(tmp_path / "one.npz", x=np.zeros((1, 8, 8), np.uint8))
    refused(tmp_path, f"--dataset=npz:{tmp_path / 'one.npz'}", "--batch_size=64", message="larger than the dataset")


def test_a_config_json_that_is_not_an_object(trained, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(trained, run)
    (run / "config.json").write_text("[1, 2]")
    for module, args in (("tfgan.train", tiny(f"--model_dir={run}")), ("tfgan.export", [f"--model_dir={run}"])):
        result = run_module(module, *args)
        assert result.returncode == 2 and "must hold a JSON object of settings, not a list" in result.stderr, (
            result.stderr[-2000:]
        )
        assert "Traceback" not in result.stderr
    for text, kind in (("42", "int"), ('"a string"', "str"), ("null", "NoneType")):
        (run / "config.json").write_text(text)
        with pytest.raises(TfganError, match=f"must hold a JSON object of settings, not a {kind}"):
            training.load_saved_config(str(run))


def test_batch_size_one_with_batchnorm_warns(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        training.train(tiny_config(tmp_path, steps=1, batch_size=1, export=False), verbose=0)
    assert "--batch_size=1 per replica with a generator that has BatchNormalization" in caplog.text
    assert "does not depend on z" in caplog.text


def test_batch_size_two_or_no_batchnorm_does_not_warn():
    assert guards.warn_batchnorm_batch(networks.build("dcgan", 8, (8, 8, 1)).generator, 2) is None
    assert guards.warn_batchnorm_batch(networks.build("mlp", 8, (8, 8, 1)).generator, 1) is None


def test_sample_seeds_near_2_63(trained, tmp_path):
    export = trained / "export" / "generator"
    result = run_module(
        "tfgan.sample", f"--export_dir={export}", f"--seed={2**63 - 10}", "--num=64", f"--out={tmp_path / 'a.png'}"
    )
    assert result.returncode == 2 and "every seed must lie in 0..2**63-1" in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "a.png").exists()
    last = 2**63 - 8  # the largest first seed for 8 images: seeds up to 2**63 - 1, all distinct
    images = exporting.sample_images(exports.latest_version(str(export)), guards.sample_seeds(last, 8))
    assert len({im.tobytes() for im in images}) == 8


def test_sampling_is_batched_and_equals_one_call(trained):
    version = exports.latest_version(str(trained / "export" / "generator"))
    seeds = guards.sample_seeds(100, 23)
    np.testing.assert_array_equal(
        exporting.sample_images(version, seeds, batch=5), exporting.sample_images(version, seeds, batch=1024)
    )


def test_evaluation_refuses_other_data_unless_asked(trained, tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros((40, 8, 8), np.uint8), x_test=np.zeros((40, 8, 8), np.uint8))
    config = dict(export_dir=str(trained / "export" / "generator"), num_samples=20, parzen_samples=20, parzen_valid=10)
    with pytest.raises(TfganError, match="the export was trained on --dataset=digits, not npz:"):
        evaluation.evaluate(evaluation.EvalConfig(dataset=f"npz:{tmp_path / 'other.npz'}", **config))
    results = evaluation.evaluate(
        evaluation.EvalConfig(dataset=f"npz:{tmp_path / 'other.npz'}", allow_mismatch=True, **config)
    )
    assert "(--allow_mismatch)" in results["notes"][0]
    assert evaluation.evaluate(evaluation.EvalConfig(dataset="digits", **config))["notes"] == []


def test_evaluation_defaults_to_the_data_the_export_was_trained_on(trained, tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros((40, 8, 8), np.uint8), x_test=np.zeros((40, 8, 8), np.uint8))
    version = tmp_path / "export" / "1"
    shutil.copytree(exports.latest_version(str(trained / "export" / "generator")), version)
    meta = json.loads((version / "metadata.json").read_text())
    (version / "metadata.json").write_text(json.dumps({**meta, "dataset": f"npz:{tmp_path / 'other.npz'}"}))
    config = evaluation.EvalConfig(export_dir=str(version), num_samples=20, parzen_samples=20, parzen_valid=10)
    results = evaluation.evaluate(config)
    assert results["dataset"] == f"npz:{tmp_path / 'other.npz'}"
    assert results["notes"] == []


def test_the_papers_rows_only_beside_mnist_at_28x28():
    row = {"ll": 1.0, "se": 0.1, "sigma": 0.2, "n_samples": 10}
    results = {"dataset": "tfds:mnist", "step": 1, "parzen": {"generated": row, "real_train": row}}
    assert "Adversarial nets (paper)" in evaluation.format_table({**results, "image_shape": [28, 28, 1]})
    assert "Adversarial nets (paper)" not in evaluation.format_table({**results, "image_shape": [16, 16, 1]})
    assert not guards.shows_paper_rows("tfds:fashion_mnist", (28, 28, 1))
