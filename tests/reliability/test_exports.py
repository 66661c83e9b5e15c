"""An export is reused only when made from the same checkpoint; killed exports' folders go; a moved run exports in place."""

import json
import os
import shutil

from tests._util import run_module, tiny_config
from tests.reliability._helpers import start
from tfgan import training
from tfgan.run import recovery


def metadata(version_dir):
    with open(os.path.join(version_dir, "metadata.json")) as f:
        return json.load(f)


def test_an_export_of_another_run_at_the_same_step_is_not_reused(tmp_path):
    first = training.train(tiny_config(tmp_path, steps=4), verbose=0)
    again = training.train(tiny_config(tmp_path, steps=4), verbose=0)
    assert again.export_dir == first.export_dir  # the same checkpoint: reused
    # Another run replaces the checkpoints and reaches the same step 4.
    shutil.rmtree(tmp_path / "checkpoints")
    other = training.train(tiny_config(tmp_path, steps=4, lr=1e-3), verbose=0)
    assert other.export_dir != first.export_dir
    assert sorted(os.listdir(tmp_path / "export" / "generator")) == ["1", "2"]
    a, b = metadata(first.export_dir), metadata(other.export_dir)
    assert a["step"] == b["step"] == 4 and a["checkpoint_digest"] != b["checkpoint_digest"]


def test_digest_is_of_the_checkpoint_and_the_facts(tmp_path):
    training.train(tiny_config(tmp_path, steps=4, export=False), verbose=0)
    ckpt = str(tmp_path / "checkpoints" / "ckpt-4")
    assert recovery.checkpoint_digest(ckpt, {"a": 1}) == recovery.checkpoint_digest(ckpt, {"a": 1})
    assert recovery.checkpoint_digest(ckpt, {"a": 1}) != recovery.checkpoint_digest(ckpt, {"a": 2})
    assert recovery.checkpoint_digest(ckpt) != recovery.checkpoint_digest(str(tmp_path / "checkpoints" / "ckpt-2"))


def test_stale_staging_folders_are_removed_and_live_ones_kept(tmp_path):
    gone = start("tfgan.train", "--help")
    gone.communicate(timeout=120)
    dead = tmp_path / f".tmp-3-pid{gone.pid}-abc"
    live = tmp_path / f".tmp-4-pid{os.getpid()}-def"
    old, recent = tmp_path / ".tmp-2-xyz", tmp_path / ".tmp-5-uvw"  # older exports: no PID in the name
    for path in (dead, live, old, recent):
        path.mkdir()
    os.utime(old, (0, 0))
    assert sorted(recovery.remove_stale_staging(str(tmp_path))) == sorted([str(dead), str(old)])
    assert live.exists() and recent.exists()


def test_a_killed_exports_folder_is_removed_by_the_next_export(tmp_path):
    training.train(tiny_config(tmp_path, steps=2, export=False), verbose=0)
    base = tmp_path / "export" / "generator"
    gone = start("tfgan.train", "--help")
    gone.communicate(timeout=120)
    (base / f".tmp-1-pid{gone.pid}-abc" / "variables").mkdir(parents=True)  # what a SIGKILLed export leaves
    training.export_from_run_dir(str(tmp_path))
    assert sorted(os.listdir(base)) == ["1"]


def test_export_of_a_moved_run_writes_into_the_directory_given(tmp_path):
    old = tmp_path / "old"
    training.train(tiny_config(old, steps=2), verbose=0)
    new = tmp_path / "new"
    shutil.move(str(old), str(new))
    result = run_module("tfgan.export", f"--model_dir={new}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not old.exists()  # never recreated
    assert sorted(os.listdir(new / "export" / "generator")) == ["1", "2"]
    assert f"export: {new / 'export' / 'generator' / '2'}" in result.stdout
