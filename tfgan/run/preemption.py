"""SIGTERM and SIGINT: save the current step, say which, exit with 128 + signal.

SIGTERM is what a preemptible VM, Kubernetes or a batch scheduler sends
before it kills a process; SIGINT is Ctrl-C. Without this module both kill
a run like SIGKILL and the steps since the last checkpoint are lost (up to
``checkpoint_every``). With it, as TensorFlow's `PreemptionCheckpointHandler`
and Keras' `BackupAndRestore` promise:

1. `SignalFlag` turns the first SIGTERM/SIGINT into a flag (the step in
   flight finishes) and puts the signal's default action back, so a second
   signal ends the process at once, by the kernel, even in the middle of the
   checkpoint write: TensorFlow writes a checkpoint into ``ckpt-N_temp/`` and
   names it in the index only when complete, so the previous checkpoint stays
   the latest, intact one.
2. `PreemptionCallback`, after each train batch, sees the flag, saves a
   checkpoint at the current step through the ``save`` callable it is given,
   logs which, and raises `Preempted`, a `SystemExit` with status
   ``128 + signum`` (143 for SIGTERM, 130 for SIGINT): what a shell reports
   for a process ended by that signal, and what schedulers read as
   "terminated, may be retried".

Under ``--strategy=multi_worker`` only some workers may get the signal, or
get it at different steps, yet every worker must save (saving takes part in
the strategy's collectives) and at the same step. `any_worker(strategy)`
all-reduces each worker's flag once per batch end (a SUM of one scalar over
the workers): every worker sees the same value after the same step, so all
stop together at the first step at which any of them was signalled. The
price is one tiny collective per step, paid only under a multi-worker
strategy.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable

import keras
import tensorflow as tf

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def exit_status(signum: int) -> int:
    """The conventional exit status of a process ended by `signum`: 128 + signum."""
    return 128 + int(signum)


class Preempted(SystemExit):
    """Training stopped on SIGTERM/SIGINT after saving the current step.

    A `SystemExit` whose code is ``128 + signum``, so a CLI exits with the
    conventional status without catching it; a program calling ``train``
    can catch it (``except Preempted``) to do otherwise.

    Attributes:
      signum: The signal received.
      step: The step saved.
      checkpoint: The checkpoint written (or already holding that step).
    """

    def __init__(self, signum: int, step: int, checkpoint: str | None):
        super().__init__(exit_status(signum))
        self.signum, self.step, self.checkpoint = signum, step, checkpoint

    def __str__(self) -> str:
        return f"{signal.Signals(self.signum).name}: saved step {self.step} in {self.checkpoint}"


class SignalFlag:
    """While installed, the first SIGTERM/SIGINT sets `signum` instead of killing.

    The second signal (of either kind) kills the process immediately: the
    first one put the default actions back. Use as a context manager; it
    restores the previous handlers on exit. Python runs signal handlers in
    the main thread only, so install it there (a no-op elsewhere).
    """

    def __init__(self, signals=SIGNALS):
        self.signals = tuple(signals)
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum, frame):
        self.signum = signum
        for s in self.signals:  # a second signal: the default action, at once
            signal.signal(s, signal.SIG_DFL)
        log.warning(
            "%s received: saving a checkpoint after the step in flight, then exiting (send it again to exit at "
            "once, keeping the previous checkpoint)",
            signal.Signals(signum).name,
        )

    def install(self) -> SignalFlag:
        try:
            for s in self.signals:
                self._previous[s] = signal.signal(s, self._handle)
        except ValueError:  # not the main thread: signals stay as they are
            self._previous.clear()
        return self

    def uninstall(self) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._previous.clear()

    def __enter__(self) -> SignalFlag:
        return self.install()

    def __exit__(self, *exc) -> None:
        self.uninstall()


def any_worker(strategy: tf.distribute.Strategy) -> Callable[[bool], bool]:
    """``flag -> bool``: whether any worker of `strategy` has the flag set.

    A collective: every worker must call it at the same point (after the
    same batch), and all get the same answer there.
    """

    def agree(flag: bool) -> bool:
        value = strategy.experimental_distribute_values_from_function(lambda ctx: tf.constant(1.0 if flag else 0.0))
        return float(strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)) > 0

    return agree


def _local(flag: bool) -> bool:
    return flag


class PreemptionCallback(keras.callbacks.Callback):
    """After a train batch on which a signal arrived: save, say which, stop.

    Put it after the callbacks that must see the step first (the NaN guard,
    the TensorBoard writer), so the checkpoint is of a step that was checked
    and logged.

    Args:
      flag: The installed `SignalFlag`.
      save: ``() -> checkpoint path``: saves the full state at the current
        step (or returns the checkpoint that already holds it).
      step: ``() -> int``: the current step.
      agree: ``flag -> bool`` combining the workers' flags (`any_worker`);
        default: this process's flag alone.
    """

    def __init__(self, flag: SignalFlag, save: Callable[[], str], step: Callable[[], int], agree=None):
        super().__init__()
        self.flag, self.save, self.step = flag, save, step
        self.agree = agree or _local

    def check(self) -> None:
        """Saves and raises `Preempted` if any worker was signalled."""
        if not self.agree(self.flag.requested):
            return
        # A worker that got no signal itself stops as if it had got SIGTERM.
        signum = self.flag.signum or signal.SIGTERM
        if self.model is not None:
            self.model.stop_training = True
        step = self.step()
        path = self.save()
        log.warning(
            "%s: saved step %d in %s; exiting with status %d. Run the same command to resume from it.",
            signal.Signals(signum).name,
            step,
            path,
            exit_status(signum),
        )
        raise Preempted(signum, step, path)

    def on_train_batch_end(self, batch, logs=None):
        self.check()
