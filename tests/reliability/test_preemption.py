"""SIGTERM and SIGINT save the current step and exit 143 / 130; a second signal exits at once."""

import os
import re
import signal
import threading

import pytest
import tensorflow as tf

from tests.reliability._helpers import HERE, latest_step, read_all, start, tiny, wait_for
from tfgan.run import preemption

REPORTER = os.path.join(HERE, "_train_reporting.py")


def steps_seen(proc, lines, at_least):
    """Reads ``STEP n`` lines from proc.stdout until n >= at_least; returns n."""

    def read():
        line = proc.stdout.readline()
        lines.append(line)
        m = re.match(r"STEP (\d+)", line)
        return int(m.group(1)) if m and int(m.group(1)) >= at_least else None

    return wait_for(read, proc)


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_saves_the_current_step_and_exits_with_128_plus_signum(tmp_path, signum, status):
    model_dir = str(tmp_path / "run")
    # checkpoint_every=1000: without the handler every step would be lost.
    proc = start(REPORTER, model_dir, "100000", "1000")
    seen = steps_seen(proc, [], at_least=7)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err[-3000:]
    m = re.search(rf"{signal.Signals(signum).name}: saved step (\d+) in (\S+); exiting with status {status}", err)
    assert m, err[-3000:]
    saved = int(m.group(1))
    assert saved >= seen and latest_step(model_dir) == saved
    read_all(m.group(2))  # whole and readable
    assert "DONE" not in out  # it stopped: no export, no claim of a finished run
    assert not os.path.exists(os.path.join(model_dir, "export"))
    # The same command resumes from exactly that step.
    proc = start(REPORTER, model_dir, str(saved + 2), "1000")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert f"resuming {model_dir} at step {saved} of {saved + 2}" in err
    assert f"DONE {saved + 2}" in out


def test_the_cli_exits_130_on_ctrl_c_after_saving(tmp_path):
    model_dir = str(tmp_path / "run")
    proc = start("tfgan.train", *tiny("--steps=100000", "--checkpoint_every=1000", f"--model_dir={model_dir}"))
    wait_for(lambda: os.path.isdir(os.path.join(model_dir, "logs")), proc)
    threading.Event().wait(4)  # let it train a few steps
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    m = re.search(r"SIGINT: saved step (\d+)", err)
    assert m and latest_step(model_dir) == int(m.group(1)) > 0, err[-3000:]
    assert "Traceback" not in err


def test_a_second_signal_exits_at_once_and_keeps_the_previous_checkpoint(tmp_path):
    model_dir = str(tmp_path / "run")
    proc = start(REPORTER, model_dir, "100000", "2")
    steps_seen(proc, [], at_least=5)
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGTERM)  # before the first one's save can finish
    proc.communicate(timeout=120)
    # Killed by the signal itself (not the 143 of a finished save): the default action ran.
    assert proc.returncode in (-signal.SIGTERM, 143)
    checkpoints = os.path.join(model_dir, "checkpoints")
    state = tf.train.get_checkpoint_state(checkpoints)
    for path in state.all_model_checkpoint_paths:  # every checkpoint the index names is whole
        read_all(path)
    before = latest_step(model_dir)
    proc = start(REPORTER, model_dir, str(before + 1), "2")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert f"DONE {before + 1}" in out


def test_signal_flag_turns_the_first_signal_into_a_flag_and_restores_handlers():
    previous = signal.getsignal(signal.SIGTERM)
    with preemption.SignalFlag() as flag:
        assert not flag.requested
        os.kill(os.getpid(), signal.SIGTERM)
        wait_for(lambda: flag.requested, timeout=5)
        assert flag.signum == signal.SIGTERM
        # The second signal would get the default action: kill at once.
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGTERM) == previous


def test_callback_saves_once_and_raises_preempted_with_the_status():
    flag = preemption.SignalFlag()
    saved = []
    callback = preemption.PreemptionCallback(flag, lambda: saved.append(1) or "ckpt-9", lambda: 9)
    callback.on_train_batch_end(0)  # no signal: nothing happens
    assert saved == []
    flag.signum = signal.SIGINT
    with pytest.raises(preemption.Preempted) as info:
        callback.on_train_batch_end(1)
    assert saved == [1] and info.value.code == 130 and info.value.step == 9 and info.value.checkpoint == "ckpt-9"
    assert isinstance(info.value, SystemExit)


def test_workers_agree_when_any_one_was_signalled():
    # Another worker's flag reaches this one through the all-reduce; with the
    # default strategy (one worker) the answer is this worker's own flag.
    agree = preemption.any_worker(tf.distribute.get_strategy())
    assert agree(True) is True and agree(False) is False
    flag = preemption.SignalFlag()
    callback = preemption.PreemptionCallback(flag, lambda: "ckpt-3", lambda: 3, agree=lambda own: True)
    with pytest.raises(preemption.Preempted) as info:
        callback.check()  # not signalled itself, but another worker was: stops as on SIGTERM
    assert info.value.code == 143
