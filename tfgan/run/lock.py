"""An exclusive lock on a run directory: one trainer per ``--model_dir``.

Two trainers on one directory would each train every step and leave a
directory whose config.json, checkpoints and export come from different
runs, each process claiming its own result. `RunLock` refuses the second
one with the PID (and host) of the process holding the directory.

The lock is ``flock(2)`` on ``<model_dir>/.tfgan.lock``, which holds the
holder's PID and host. The kernel drops a flock when its process dies (even
by SIGKILL), so a lock whose process is gone is simply taken over; the file
it left behind still names the dead PID, and taking over says so in the log.
The file is removed on release; an acquirer checks that the file it locked
is still the one at the path (the same inode), so a release racing an
acquire never lets two processes believe they hold it.

Under ``--strategy=multi_worker`` only the chief takes it (the other workers
write nothing into the run directory).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import socket
import time

from tfgan.errors import TfganError

LOCK_FILE = ".tfgan.lock"
log = logging.getLogger(__name__)


class RunLockedError(TfganError):
    """Another live process holds the run directory."""


def _holder(text: str) -> tuple[int | None, str]:
    """``(pid, host)`` as a lock file records them (None, '' when unreadable)."""
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    try:
        return int(fields.get("pid", "")), fields.get("host", "")
    except ValueError:
        return None, fields.get("host", "")


def holder(model_dir: str) -> tuple[int | None, str]:
    """``(pid, host)`` recorded in `model_dir`'s lock file; ``(None, '')`` if none."""
    try:
        with open(os.path.join(model_dir, LOCK_FILE)) as f:
            return _holder(f.read())
    except OSError:
        return None, ""


class RunLock:
    """Holds `model_dir` exclusively while open (a context manager).

    Args:
      model_dir: The run directory; created if missing (and removed again
        on release when the run left nothing else in it, so a start that
        failed its checks leaves no trace).

    Raises (on `acquire`):
      RunLockedError: Another live process holds it; the message names its
        PID and host.
      TfganError: The directory cannot be created or the lock file written.
    """

    def __init__(self, model_dir: str):
        self.model_dir = model_dir
        self.path = os.path.join(model_dir, LOCK_FILE)
        self._fd = None
        self._created_dir = False

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        if self._fd is not None:
            return self
        try:
            if not os.path.isdir(self.model_dir):
                os.makedirs(self.model_dir)
                self._created_dir = True
            while True:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as e:
                    os.close(fd)
                    if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise
                    self._refuse()
                # The holder may have released and removed the file between
                # our open and our flock: then we locked an orphan; retry.
                try:
                    same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    break
                os.close(fd)
            previous = os.read(fd, 4096).decode("utf-8", "replace")
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"pid={os.getpid()}\nhost={socket.gethostname()}\nsince={time.time():.0f}\n".encode())
            os.fsync(fd)
        except RunLockedError:
            self._remove_created_dir()
            raise
        except OSError as e:
            self._remove_created_dir()
            raise TfganError(
                f"--model_dir={self.model_dir} is not writable ({e.strerror or e}); choose a directory you can "
                f"write to."
            ) from e
        self._fd = fd
        pid, host = _holder(previous)
        if pid is not None:
            log.warning(
                "took over the lock of %s from PID %d%s, which no longer holds it (it was killed or crashed)",
                self.model_dir,
                pid,
                f" on {host}" if host else "",
            )
        return self

    def _refuse(self):
        pid, host = holder(self.model_dir)
        who = f"PID {pid}" if pid is not None else "another process"
        if host and host != socket.gethostname():
            who += f" on host {host}"
        raise RunLockedError(
            f"{self.model_dir} is in use by another tfgan run ({who}); two trainers on one directory would "
            f"mix their checkpoints and exports. Wait for it to finish (or stop it), or pass another --model_dir."
        )

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.remove(self.path)  # before unlocking: a waiting acquirer then sees another inode and retries
        except OSError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        self._remove_created_dir()

    def _remove_created_dir(self):
        if self._created_dir:
            try:
                os.rmdir(self.model_dir)  # only if empty: a failed start leaves nothing
            except OSError:
                pass
            self._created_dir = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
