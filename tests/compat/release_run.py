"""Makes run directories with the last release before the family layout (a pinned commit), for the upgrade test.

The release's code is taken from this repository's history (``git archive``
of `RELEASE`), so the fixture is what that release really wrote, without
committing megabytes of checkpoints.

Usage: python tests/compat/release_run.py OUT_DIR
writes OUT_DIR/resumed (4 steps, checkpoint and export) and OUT_DIR/straight
(8 steps in one go), both with `FLAGS`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile

# The last commit whose tfgan had one flat GAN/TrainConfig (before tfgan/families/).
RELEASE = "27d101a"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLAGS = (
    "--dataset=digits",
    "--image_size=8",
    "--batch_size=16",
    "--latent_dim=4",
    "--checkpoint_every=2",
    "--keep_checkpoints=1",
    "--deterministic",
    "--log_every=2",
)


def release_code(directory: str) -> str:
    """Unpacks the release's ``tfgan/`` and ``pipelines/`` into `directory`; returns it.

    Raises:
      RuntimeError: The repository's history does not hold `RELEASE` (a shallow clone).
    """
    archive = os.path.join(directory, "release.tar")
    proc = subprocess.run(
        ["git", "-C", ROOT, "archive", "-o", archive, RELEASE, "tfgan", "pipelines"], capture_output=True, text=True
    )
    if proc.returncode:
        raise RuntimeError(f"git archive {RELEASE} failed: {proc.stderr.strip()}")
    with tarfile.open(archive) as tar:
        tar.extractall(directory, filter="data")
    return directory


def train(code: str, model_dir: str, steps: int) -> None:
    env = dict(os.environ, PYTHONPATH=code, TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run(
        [sys.executable, "-m", "tfgan.train", *FLAGS, f"--steps={steps}", f"--model_dir={model_dir}"],
        check=True,
        capture_output=True,
        env=env,
        cwd=code,  # the release's tfgan, not this checkout's
    )


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as code:
        release_code(code)
        train(code, os.path.join(out, "resumed"), 4)
        train(code, os.path.join(out, "straight"), 8)


if __name__ == "__main__":
    main(sys.argv[1])
