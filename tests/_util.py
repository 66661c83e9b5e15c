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


def run_keras_free(tmp_path, script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Runs `script` (Python source) in a fresh process where importing Keras fails.

    Keras is shadowed by a package that refuses to import (TensorFlow imports
    it when it can), so what the script loads must not need it: how an
    export is checked to be servable without tfgan or Keras.
    """
    (tmp_path / "fresh.py").write_text(script)
    hide = tmp_path / "hide" / "keras"
    hide.mkdir(parents=True, exist_ok=True)
    (hide / "__init__.py").write_text("raise ImportError('keras is hidden from this process')\n")
    return subprocess.run(
        [sys.executable, str(tmp_path / "fresh.py"), *args],
        capture_output=True,
        text=True,
        env=cli_env(PYTHONPATH=str(tmp_path / "hide")),
        cwd=str(tmp_path),
        timeout=timeout,
    )
