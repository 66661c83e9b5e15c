"""Every bad input a user can give ends in one clear message and a nonzero exit, never a traceback."""

import numpy as np
import pytest

from tests._util import TINY_FLAGS, run_module, tiny_config


def tiny(*extra):
    """TINY_FLAGS with `extra` flags replacing the tiny ones of the same name."""
    names = {e.split("=")[0] for e in extra}
    return [f for f in TINY_FLAGS if f.split("=")[0] not in names] + list(extra)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from tfgan import training

    model_dir = tmp_path_factory.mktemp("trained")
    training.train(tiny_config(model_dir, steps=2), verbose=0)
    return model_dir


def cases(tmp, trained):
    (tmp / "empty").mkdir()
    (tmp / "texts").mkdir()
    (tmp / "texts" / "a.txt").write_text("no image here")
    (tmp / "corrupt").mkdir()
    (tmp / "corrupt" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (tmp / "afile").write_text("a regular file")
    np.savez(tmp / "objects.npz", x=np.array([{"a": 1}], dtype=object))
    (tmp / "bad.flags").write_text("--steps=2\n--no_such_flag=3\n")
    run = f"--model_dir={tmp / 'run'}"
    return {
        "missing dataset path": (tiny(f"--dataset=folder:{tmp / 'nope'}", run), "does not exist"),
        "folder with no images": (tiny(f"--dataset=folder:{tmp / 'texts'}", run), "no image files"),
        "only corrupt images": (tiny(f"--dataset=folder:{tmp / 'corrupt'}", run), "could be decoded"),
        "pickled npz": (tiny(f"--dataset=npz:{tmp / 'objects.npz'}", run), "allow_pickle=False"),
        "unknown dataset kind": (tiny("--dataset=mnist", run), "unknown dataset 'mnist'"),
        "unknown model": (tiny("--model=resnet9", run), "--model='resnet9' is unknown"),
        "unknown loss": (tiny("--loss=wgan", run), "--loss='wgan' is unknown"),
        "unknown preset": (tiny("--preset=fast", run), "--preset='fast' is unknown"),
        "zero batch": (tiny("--batch_size=0", run), "--batch_size must be a positive integer"),
        "negative image size": (tiny("--image_size=-8", run), "--image_size must be a positive integer"),
        "zero learning rate": (tiny("--lr=0", run), "--lr must be a positive number"),
        "zero k": (tiny("--d_steps=0", run), "--d_steps must be a positive integer"),
        "negative seed": (tiny("--seed=-1", run), "--seed must be an integer in [0, 2**31)"),
        "size dcgan cannot make": (tiny("--image_size=30", run), "image_size = s * 2**n"),
        "batch larger than dataset": (tiny("--batch_size=5000", run), "larger than the dataset"),
        "tfds not present": (tiny("--dataset=tfds:mnist", f"--data_dir={tmp / 'empty'}", run), "tfds build mnist"),
        "model_dir not writable": (tiny(f"--model_dir={tmp / 'afile' / 'run'}"), "is not writable"),
        "resume with other shapes": (
            tiny(f"--model_dir={trained}", "--latent_dim=8", "--steps=4"),
            "checkpoint has 100, now 8",
        ),
        "flagfile with unknown flag": ([f"--flagfile={tmp / 'bad.flags'}", run], "Unknown command line flag"),
        "bad on_nan": (tiny("--on_nan=ignore", run), "on_nan"),
        "stray argument": (tiny("train", run), "unexpected arguments"),
    }


CASES = [
    "missing dataset path",
    "folder with no images",
    "only corrupt images",
    "pickled npz",
    "unknown dataset kind",
    "unknown model",
    "unknown loss",
    "unknown preset",
    "zero batch",
    "negative image size",
    "zero learning rate",
    "zero k",
    "negative seed",
    "size dcgan cannot make",
    "batch larger than dataset",
    "tfds not present",
    "model_dir not writable",
    "resume with other shapes",
    "flagfile with unknown flag",
    "bad on_nan",
    "stray argument",
]


@pytest.mark.parametrize("case", CASES)
def test_train_refuses_bad_input_clearly(case, tmp_path, trained):
    args, message = cases(tmp_path, trained)[case]
    result = run_module("tfgan.train", *args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()  # nothing half-made


def test_export_cli_refuses_a_version_directory_as_base(trained):
    version = trained / "export" / "generator" / "1"
    result = run_module("tfgan.export", f"--model_dir={trained}", f"--export_dir={version}")
    assert result.returncode == 2 and "is itself an exported version" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (trained / "export" / "generator").iterdir()) == ["1"]
