"""Helpers shared by the tests: running the CLIs and tiny configurations."""

from __future__ import annotations

import os
import subprocess
import sys

from tfgan import config as config_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Small and fast: 8x8 digits, 4 steps. Tests add --model_dir and what they check.
TINY_FLAGS = (
    "--dataset=digits",
    "--model=dcgan",
    "--batch_size=16",
    "--steps=4",
    "--log_every=1",
    "--checkpoint_every=2",
    "--image_size=8",
)


def cli_env(**extra) -> dict:
    """The environment of a CLI subprocess: this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.update(extra)
    return env


def run_module(module: str, *args: str, timeout: int = 600, env: dict | None = None, cwd: str | None = None):
    """Runs ``python -m module args...``; returns the CompletedProcess (text output)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=env or cli_env(),
        cwd=cwd or ROOT,
        timeout=timeout,
    )


def tiny_config(model_dir, **overrides):
    """The `tfgan.config.Config` of the tiny run in `model_dir`."""
    values = dict(
        dataset="digits",
        model="dcgan",
        batch_size=16,
        steps=4,
        log_every=1,
        checkpoint_every=2,
        image_size=8,
        model_dir=str(model_dir),
    )
    values.update(overrides)
    return config_lib.resolve("default", **values)
