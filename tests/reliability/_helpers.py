"""Helpers of the reliability tests: tiny runs in subprocesses, waiting on them, reading their state."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import tensorflow as tf

from tests._util import ROOT, TINY_FLAGS, cli_env

HERE = os.path.dirname(os.path.abspath(__file__))


def tiny(*extra):
    """TINY_FLAGS with `extra` flags replacing the tiny ones of the same name."""
    names = {e.split("=")[0] for e in extra}
    return [f for f in TINY_FLAGS if f.split("=")[0] not in names] + list(extra)


def start(module_or_script, *args, **popen):
    """Starts ``python -m module args`` (or ``python script args``) with stderr piped."""
    target = [module_or_script] if module_or_script.endswith(".py") else ["-m", module_or_script]
    return subprocess.Popen(
        [sys.executable, *target, *args],
        stdout=popen.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=ROOT,
        **popen,
    )


def wait_for(condition, proc=None, timeout=240, poll=0.02):
    """Waits until `condition()` is truthy; fails if `proc` ends first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = condition()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended (rc={proc.returncode}) first: {proc.stderr.read()[-3000:]}")
        time.sleep(poll)
    raise AssertionError("timed out")


def latest_step(model_dir) -> int | None:
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    return int(latest.rsplit("-", 1)[1]) if latest else None


def read_all(prefix):
    """Reads every tensor of a checkpoint (fails on a damaged one)."""
    reader = tf.train.load_checkpoint(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def copy_run(source, target):
    shutil.copytree(source, target)
    return str(target)
