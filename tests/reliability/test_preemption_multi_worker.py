"""--strategy=multi_worker: SIGTERM to one worker stops every worker at the same step, saved by the chief."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np

from tests._util import ROOT, cli_env
from tests.reliability._helpers import latest_step, tiny, wait_for


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_sigterm_to_the_non_chief_stops_both_at_one_step(tmp_path):
    model_dir = tmp_path / "run"
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    procs = []
    for index in range(2):
        scratch = tmp_path / f"tmp-{index}"
        scratch.mkdir()
        env = cli_env(
            TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}),
            TFGAN_TEST_WEIGHTS=str(tmp_path / f"weights-{index}.npz"),
            TMPDIR=str(scratch),
            CUDA_VISIBLE_DEVICES="",
        )
        args = tiny("--steps=100000", "--checkpoint_every=1000", f"--model_dir={model_dir}", "--strategy=multi_worker")
        procs.append(
            subprocess.Popen(
                [sys.executable, os.path.join(ROOT, "tests", "_worker.py"), *args],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        wait_for(lambda: os.path.isdir(model_dir / "logs"), procs[0], timeout=300)
        time.sleep(5)  # some steps
        procs[1].send_signal(signal.SIGTERM)  # the non-chief only: the chief never got a signal
        outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [p.returncode for p in procs] == [143, 143], outputs[0][-3000:] + outputs[1][-3000:]
    steps = [int(np.load(tmp_path / f"weights-{i}.npz")["step"]) for i in range(2)]
    saved = [int(re.search(r"SIGTERM: saved step (\d+)", out).group(1)) for out in outputs]
    assert steps[0] == steps[1] == saved[0] == saved[1] > 0
    assert latest_step(model_dir) == steps[0]  # the chief's checkpoint, in the run directory
