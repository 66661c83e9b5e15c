"""One trainer per run directory: a second one is refused naming the holder's PID; a dead holder's lock is taken over."""

import logging
import os
import signal

import pytest

from tests._util import run_module
from tests.reliability._helpers import start, tiny, wait_for
from tfgan.run import lock


def test_a_second_holder_is_refused_with_the_pid(tmp_path):
    with lock.RunLock(str(tmp_path)) as held:
        assert held.held and lock.holder(str(tmp_path))[0] == os.getpid()
        with pytest.raises(lock.RunLockedError, match=rf"in use by another tfgan run \(PID {os.getpid()}\)"):
            lock.RunLock(str(tmp_path)).acquire()
    assert not os.path.exists(tmp_path / lock.LOCK_FILE)  # released and removed
    with lock.RunLock(str(tmp_path)):  # free again
        pass


def test_a_dead_holders_lock_is_taken_over_with_a_message(tmp_path, caplog):
    proc = start("tfgan.train", "--help")  # any process that ends: its PID is then free
    proc.communicate(timeout=120)
    (tmp_path / lock.LOCK_FILE).write_text(f"pid={proc.pid}\nhost=elsewhere\n")
    with caplog.at_level(logging.WARNING), lock.RunLock(str(tmp_path)):
        assert lock.holder(str(tmp_path))[0] == os.getpid()
    assert f"took over the lock of {tmp_path} from PID {proc.pid}" in caplog.text


def test_a_created_directory_is_removed_again_when_left_empty(tmp_path):
    run = tmp_path / "new"
    with lock.RunLock(str(run)):
        assert run.is_dir()
    assert not run.exists()


def test_two_trainers_on_one_directory(tmp_path):
    model_dir = str(tmp_path / "run")
    first = start("tfgan.train", *tiny("--steps=100000", "--checkpoint_every=1000", f"--model_dir={model_dir}"))
    wait_for(lambda: os.path.isdir(os.path.join(model_dir, "logs")), first)  # training, holding the lock
    second = run_module("tfgan.train", *tiny("--steps=4", f"--model_dir={model_dir}"))
    assert second.returncode == 2, second.stderr[-2000:]
    assert f"in use by another tfgan run (PID {first.pid})" in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGKILL)  # dies holding it: the kernel drops the flock
    first.wait(timeout=60)
    third = run_module("tfgan.train", *tiny("--steps=4", f"--model_dir={model_dir}"))
    assert third.returncode == 0, third.stderr[-2000:]
    assert f"from PID {first.pid} on " in third.stderr and "which no longer holds it" in third.stderr
