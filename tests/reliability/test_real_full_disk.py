"""A really full disk (a size-limited tmpfs), not a simulated one: checkpoint and export fail cleanly, then resume.

Needs permission to mount a tmpfs (root with CAP_SYS_ADMIN on Linux); skipped
elsewhere, e.g. in CI. test_disk_full.py checks the same promises everywhere
with a simulated ENOSPC.
"""

import glob
import os
import shutil
import subprocess

import pytest

from tests._util import run_module
from tests.reliability._helpers import latest_step, tiny


def _mount(path, size):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)


@pytest.fixture
def disk(tmp_path):
    """A tmpfs of 2 MB at ``tmp_path/disk``; ``disk.resize(bytes)`` remounts it larger or smaller."""
    path = tmp_path / "disk"
    path.mkdir()
    if not shutil.which("mount") or os.geteuid() != 0 or _mount(path, "2m").returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")

    class Disk:
        def resize(self, size):
            subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)

        def used(self):
            stat = os.statvfs(path)
            return (stat.f_blocks - stat.f_bfree) * stat.f_frsize

    disk = Disk()
    disk.path = path
    yield disk
    subprocess.run(["umount", str(path)], capture_output=True)


def unfinished(model_dir):
    return glob.glob(str(model_dir / "**" / "*_temp*"), recursive=True) + glob.glob(
        str(model_dir / "**" / ".tmp-*"), recursive=True
    )


def test_a_full_disk_stops_the_run_cleanly_and_the_same_command_resumes(disk):
    model_dir = disk.path / "run"
    args = [*tiny("--steps=4"), f"--model_dir={model_dir}"]
    full = run_module("tfgan.train", *args)
    assert full.returncode == 2, full.stderr[-2000:]
    errors = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in full.stderr
    assert f"no space left on the device of {model_dir / 'checkpoints'}" in errors[0]
    assert "it needs about" in errors[0] and "MB are free" in errors[0]
    assert not glob.glob(str(model_dir / "checkpoints" / "ckpt-*")) and not unfinished(model_dir)

    disk.resize("256m")
    again = run_module("tfgan.train", *args)
    assert again.returncode == 0, again.stderr[-2000:]
    assert latest_step(model_dir) == 4 and (model_dir / "export" / "generator" / "1" / "saved_model.pb").exists()

    # Now the export: room for the checkpoints already there, not for a SavedModel.
    shutil.rmtree(model_dir / "export")
    disk.resize(disk.used() + 64 * 1024)
    export = run_module("tfgan.export", f"--model_dir={model_dir}")
    assert export.returncode == 2, export.stderr[-2000:]
    errors = [line for line in export.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "while writing the export" in errors[0], export.stderr[-2000:]
    assert not unfinished(model_dir)
    assert not os.path.exists(model_dir / "export" / "generator" / "1")
    assert latest_step(model_dir) == 4  # the checkpoints are untouched
