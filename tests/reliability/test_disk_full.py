"""A full disk while checkpointing or exporting: one error naming the path and the space, no unfinished files."""

import errno
import glob
import os

import pytest
import tensorflow as tf

from tests._util import tiny_config
from tests.reliability._helpers import latest_step
from tfgan import training
from tfgan.run import recovery


def test_the_guard_names_path_and_space_and_cleans_up(tmp_path):
    cleaned = []
    for error in (
        OSError(errno.ENOSPC, "No space left on device"),
        tf.errors.ResourceExhaustedError(None, None, "tmp; No space left on device"),
    ):
        with pytest.raises(recovery.DiskFullError, match=rf"no space left on the device of {tmp_path} .*about 2\.0 MB"):
            with recovery.disk_full_guard(str(tmp_path), "checkpoint", 2 * 2**20, lambda: cleaned.append(1)):
                raise error
    assert cleaned == [1, 1]
    with pytest.raises(ValueError):  # anything else passes through untouched
        with recovery.disk_full_guard(str(tmp_path), "checkpoint", 1, lambda: cleaned.append(1)):
            raise ValueError("other")
    assert cleaned == [1, 1]


def fill_disk_in(monkeypatch, target, at_call=1):
    """Makes `target`'s function write part of its output, then fail as a full disk does."""
    owner, name = target
    original = getattr(owner, name)
    calls = []

    def full(self, *args, **kwargs):
        calls.append(1)
        if len(calls) < at_call:
            return original(self, *args, **kwargs)
        directory = getattr(self, "directory", None) or args[0]
        os.makedirs(os.path.join(directory, "ckpt-9_temp"), exist_ok=True)  # what TF had begun
        open(os.path.join(directory, "ckpt-9.data-00000-of-00001"), "wb").write(b"partial")
        raise tf.errors.ResourceExhaustedError(None, None, "ckpt-9_temp/part-00000; No space left on device")

    monkeypatch.setattr(owner, name, full)


def test_disk_full_while_checkpointing(tmp_path, monkeypatch):
    training.train(tiny_config(tmp_path, steps=2), verbose=0)
    fill_disk_in(monkeypatch, (tf.train.CheckpointManager, "save"))
    with pytest.raises(recovery.DiskFullError, match=r"while writing the checkpoints: it needs about [\d.]+ MB") as e:
        training.train(tiny_config(tmp_path, steps=4), verbose=0)
    assert str(tmp_path / "checkpoints") in str(e.value)
    assert latest_step(tmp_path) == 2  # the previous checkpoint is intact and named
    assert not glob.glob(str(tmp_path / "checkpoints" / "ckpt-9*"))  # the unfinished files are gone


def test_disk_full_while_exporting(tmp_path, monkeypatch):
    training.train(tiny_config(tmp_path, steps=2, export=False), verbose=0)
    original = tf.saved_model.save

    def full(module, path, **kwargs):
        original(module, path, **kwargs)  # half an export on disk...
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr(tf.saved_model, "save", full)
    with pytest.raises(recovery.DiskFullError, match=r"while writing the export: it needs more than [\d.]+ MB"):
        training.export_from_run_dir(str(tmp_path))
    base = tmp_path / "export" / "generator"
    assert os.listdir(base) == []  # ...and no staging folder left, no version published
