"""A garbled, empty or stale checkpoint index and damaged checkpoints never restart a run from step 0."""

import logging
import os

import pytest

from tests._util import run_module, tiny_config
from tests.reliability._helpers import copy_run, latest_step, read_all, tiny
from tfgan import training
from tfgan.errors import TfganError
from tfgan.run import recovery


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run with checkpoints 2 and 4 (and an export)."""
    model_dir = tmp_path_factory.mktemp("trained") / "run"
    training.train(tiny_config(model_dir, steps=4), verbose=0)
    return model_dir


def checkpoints(model_dir):
    return os.path.join(model_dir, "checkpoints")


@pytest.mark.parametrize("text", ["model_checkpoint_path: ckpt-4 }}garbage{{\n", "", "\x00\xff\x00"])
def test_an_unreadable_index_is_rebuilt_from_the_checkpoints_present(trained, tmp_path, text, caplog):
    run = copy_run(trained, tmp_path / "run")
    with open(os.path.join(checkpoints(run), "checkpoint"), "w", encoding="latin-1") as f:
        f.write(text)
    with caplog.at_level(logging.WARNING):
        assert recovery.prepare_checkpoints(checkpoints(run)) == os.path.join(checkpoints(run), "ckpt-4")
    assert "rebuilt it from the checkpoints present (latest: " in caplog.text
    assert latest_step(run) == 4  # what TensorFlow now reads


def test_a_garbled_index_resumes_instead_of_starting_again(trained, tmp_path):
    run = copy_run(trained, tmp_path / "run")
    with open(os.path.join(checkpoints(run), "checkpoint"), "w") as f:
        f.write("a stray editor write\n")
    result = run_module("tfgan.train", *tiny("--steps=6", f"--model_dir={run}"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming" in result.stderr and "at step 4 of 6" in result.stderr
    assert latest_step(run) == 6


def test_an_unreadable_index_without_checkpoints_is_refused(tmp_path):
    directory = tmp_path / "checkpoints"
    directory.mkdir()
    (directory / "checkpoint").write_text("garbage")
    with pytest.raises(TfganError, match="is garbled and no ckpt-N files are beside it"):
        recovery.prepare_checkpoints(str(directory))


def truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


@pytest.mark.parametrize("damage", ["truncated data", "missing index", "removed by hand"])
def test_a_damaged_latest_checkpoint_falls_back_to_the_newest_intact_one(trained, tmp_path, damage, caplog):
    run = copy_run(trained, tmp_path / "run")
    ckpt4 = os.path.join(checkpoints(run), "ckpt-4")
    if damage == "truncated data":
        truncate(ckpt4 + ".data-00000-of-00001")
    elif damage == "missing index":
        os.remove(ckpt4 + ".index")
    else:  # what the old error message advised: the index still named it
        for suffix in (".index", ".data-00000-of-00001"):
            os.remove(ckpt4 + suffix)
    with caplog.at_level(logging.WARNING):
        result = training.train(tiny_config(run, steps=6), verbose=0)
    assert result.step == 6 and latest_step(run) == 6
    if damage != "removed by hand":
        assert f"skipped the damaged checkpoint {ckpt4}" in caplog.text
        assert sorted(os.listdir(os.path.join(checkpoints(run), recovery.DAMAGED_DIR)))  # kept, set aside
    assert "named " + ckpt4 in caplog.text or f"skipped the damaged checkpoint {ckpt4}" in caplog.text
    read_all(os.path.join(checkpoints(run), "ckpt-6"))


def test_no_intact_checkpoint_left_is_refused(trained, tmp_path):
    run = copy_run(trained, tmp_path / "run")
    for n in (2, 4):
        truncate(os.path.join(checkpoints(run), f"ckpt-{n}.data-00000-of-00001"))
    with pytest.raises(TfganError, match="no intact checkpoint is left"):
        recovery.prepare_checkpoints(checkpoints(run))


def test_an_index_copied_with_absolute_paths_names_this_directorys_checkpoints(trained, tmp_path):
    run = copy_run(trained, tmp_path / "run")
    with open(os.path.join(checkpoints(run), "checkpoint"), "w") as f:
        f.write('model_checkpoint_path: "/elsewhere/ckpt-4"\nall_model_checkpoint_paths: "/elsewhere/ckpt-4"\n')
    assert recovery.prepare_checkpoints(checkpoints(run)) == os.path.join(checkpoints(run), "ckpt-4")
    assert latest_step(run) == 4 and "/elsewhere" not in open(os.path.join(checkpoints(run), "checkpoint")).read()


def test_an_intact_directory_is_left_as_it_is(trained, tmp_path):
    run = copy_run(trained, tmp_path / "run")
    index = os.path.join(checkpoints(run), "checkpoint")
    before = open(index).read(), os.path.getmtime(index)
    assert recovery.prepare_checkpoints(checkpoints(run)).endswith("ckpt-4")
    assert (open(index).read(), os.path.getmtime(index)) == before
