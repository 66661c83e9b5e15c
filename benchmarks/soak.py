"""Soak test (not in CI): kill tiny runs with SIGTERM, SIGINT and SIGKILL at random moments, then resume.

    python benchmarks/soak.py --rounds=20

First trains one uninterrupted reference run (``--deterministic``) and
times it. Then each round starts a fresh run directory, and up to
``--kills`` times starts ``python -m tfgan.train`` and sends it SIGTERM,
SIGINT or SIGKILL (in turn, so every kind is used) at a moment drawn
uniformly over that process's expected duration (start-up plus the steps
still to train, from the reference run's time): during start-up, training, a
checkpoint write or the export. It then runs the same command to the end and
checks:

- the exit status of each killed process (143 / 130 after a saved step,
  the signal's own death at start-up or on SIGKILL, 0 if it had finished);
- after a SIGTERM/SIGINT that saved a step: the latest checkpoint is that step;
- the final run: exit 0, the final step, every checkpoint in the index
  readable tensor by tensor, no ``_temp`` or ``.tmp-*`` folders, no lock
  file, exactly one export, and the same final weights as the reference
  (resume is exact under ``--deterministic``).

Prints one line per round and a summary; exits 1 on any failure.
"""

from __future__ import annotations

import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from absl import app, flags

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

FLAGS = flags.FLAGS
flags.DEFINE_integer("rounds", 20, "Rounds (a fresh run directory each).")
flags.DEFINE_integer("kills", 2, "Kills per round before the run is let finish.")
flags.DEFINE_integer("steps", 40, "Steps of each run.")
flags.DEFINE_integer("checkpoint_every", 7, "Checkpoint interval (odd, so saves on a signal differ from it).")
flags.DEFINE_integer("seed", 0, "Seed of the kill moments.")
flags.DEFINE_string("work_dir", None, "Where the runs go; default a temporary directory (removed at the end).")

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGKILL)


def train_args(model_dir: str) -> list[str]:
    return [
        "--dataset=digits",
        "--model=dcgan",
        "--image_size=8",
        "--batch_size=16",
        f"--steps={FLAGS.steps}",
        f"--checkpoint_every={FLAGS.checkpoint_every}",
        "--log_every=1",
        "--deterministic",
        f"--model_dir={model_dir}",
    ]


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = ROOT + os.pathsep + e.get("PYTHONPATH", "")
    e["TF_CPP_MIN_LOG_LEVEL"] = "3"
    e["CUDA_VISIBLE_DEVICES"] = ""
    return e


def start(model_dir: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tfgan.train", *train_args(model_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        cwd=ROOT,
    )


def final_tensors(model_dir: str) -> dict:
    import tensorflow as tf

    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")))
    skip = ("_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter/.ATTRIBUTES/VARIABLE_VALUE")
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map() if n not in skip}


def check_final(model_dir: str, reference: dict) -> list[str]:
    import numpy as np
    import tensorflow as tf

    problems = []
    checkpoints = os.path.join(model_dir, "checkpoints")
    state = tf.train.get_checkpoint_state(checkpoints)
    if state is None or not state.model_checkpoint_path.endswith(f"ckpt-{FLAGS.steps}"):
        problems.append(f"latest checkpoint is {state and state.model_checkpoint_path}, not ckpt-{FLAGS.steps}")
    for path in state.all_model_checkpoint_paths if state else []:
        try:
            reader = tf.train.load_checkpoint(path)
            for name in reader.get_variable_to_shape_map():
                reader.get_tensor(name)
        except Exception as e:  # noqa: BLE001 - any failure to read is the finding
            problems.append(f"{path} is not readable: {e}")
    if glob.glob(os.path.join(checkpoints, "*_temp")):
        problems.append("a ckpt-N_temp folder is left")
    export = os.path.join(model_dir, "export", "generator")
    versions = sorted(os.listdir(export)) if os.path.isdir(export) else []
    if versions != ["1"]:
        problems.append(f"export versions {versions}, not exactly ['1']")
    if os.path.exists(os.path.join(model_dir, ".tfgan.lock")):
        problems.append("the lock file is left")
    if not problems:
        tensors = final_tensors(model_dir)
        if tensors.keys() != reference.keys():
            problems.append("the final checkpoint holds other tensors than the reference")
        else:
            differ = [n for n in tensors if not np.array_equal(tensors[n], reference[n])]
            if differ:
                problems.append(f"{len(differ)} tensors differ from the uninterrupted run, e.g. {differ[0]}")
    return problems


def expected_status(signum: int, rc: int, err: str) -> str | None:
    """None when `rc` is a status this signal may end a run with; else the problem."""
    allowed = {0, -signum}
    if signum == signal.SIGTERM:
        allowed.add(143)
    if signum == signal.SIGINT:
        allowed |= {130}
    if rc not in allowed:
        return f"exit status {rc} after {signal.Signals(signum).name} (allowed {sorted(allowed)}): {err[-1500:]}"
    return None


def main(argv):
    del argv
    rng = random.Random(FLAGS.seed)
    work = FLAGS.work_dir or tempfile.mkdtemp(prefix="tfgan-soak-")
    os.makedirs(work, exist_ok=True)
    ref_dir = os.path.join(work, "reference")
    shutil.rmtree(ref_dir, ignore_errors=True)
    began = time.time()
    proc = start(ref_dir)
    _, err = proc.communicate()
    duration = time.time() - began
    if proc.returncode != 0:
        print(f"reference run failed: {err[-3000:]}")
        sys.exit(1)
    reference = final_tensors(ref_dir)
    print(f"reference run: {FLAGS.steps} steps in {duration:.1f} s; kills drawn over [0.3, {duration:.1f}] s")
    failures, kinds = 0, {s: 0 for s in SIGNALS}
    saved_on_signal = 0
    turn = 0
    for r in range(FLAGS.rounds):
        model_dir = os.path.join(work, f"round-{r}")
        shutil.rmtree(model_dir, ignore_errors=True)
        notes, problems = [], []
        for _ in range(FLAGS.kills):
            signum = SIGNALS[turn % len(SIGNALS)]
            turn += 1
            # A resumed run only trains what is left: draw over its expected length
            # (start-up, taken as half the reference run, plus the remaining steps' share).
            left = 1 - (_latest_step(model_dir) or 0) / FLAGS.steps
            delay = rng.uniform(0.3, duration * (0.5 + 0.5 * left))
            proc = start(model_dir)
            time.sleep(delay)
            if proc.poll() is None:
                proc.send_signal(signum)
                kinds[signum] += 1
            _, err = proc.communicate()
            problem = expected_status(signum, proc.returncode, err)
            if problem:
                problems.append(problem)
            m = re.search(r"saved step (\d+) in (\S+);", err)
            if m:
                saved_on_signal += 1
                latest = _latest_step(model_dir)
                if latest != int(m.group(1)):
                    problems.append(f"said it saved step {m.group(1)}, but the latest checkpoint is {latest}")
            notes.append(f"{signal.Signals(signum).name}@{delay:.1f}s->rc {proc.returncode}")
        proc = start(model_dir)
        _, err = proc.communicate()
        if proc.returncode != 0:
            problems.append(f"the final run failed (rc {proc.returncode}): {err[-2000:]}")
        else:
            problems += check_final(model_dir, reference)
        failures += bool(problems)
        print(f"round {r + 1:2d}: {', '.join(notes)}; final: {'OK' if not problems else 'FAIL'}", flush=True)
        for p in problems:
            print(f"    {p}")
        shutil.rmtree(model_dir, ignore_errors=True)
    sent = ", ".join(f"{signal.Signals(s).name} x{n}" for s, n in kinds.items())
    print(
        f"{FLAGS.rounds - failures} of {FLAGS.rounds} rounds OK; signals sent: {sent}; "
        f"{saved_on_signal} saved a step on the signal"
    )
    if not FLAGS.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


def _latest_step(model_dir: str) -> int | None:
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    return int(latest.rsplit("-", 1)[1]) if latest else None


if __name__ == "__main__":
    app.run(main)
