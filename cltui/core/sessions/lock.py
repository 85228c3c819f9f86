"""One writer per session file: an OS lock that dies with the process holding it.

Two processes continuing one session (two `cltui run --resume`, or a TUI and a run) would each
redo and pay for every remaining call, and the last writer would silently drop the other's
replies. So a writer first takes an exclusive, non-blocking `flock` on a lock file beside the
session (`.NAME.toml.lock`). The kernel releases it when the process ends, however it ends
(kill -9 included), so a crash never leaves a session locked for good. The holder writes its pid
into the lock file, so a second opener can say which process has the session.

The lock file is removed on release. Between opening it and locking it another process may have
released and removed it (and a third created a new one): after locking, the open file must still
be the one at the path, else the lock is taken again.

The lock is between processes. Within one process the holders of a session share one lock
(counted): the app replaces a session's runner with a new one before closing the old, and that
must not lock the user out of their own session.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from cltui.core.sessions.errors import SessionError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None  # type: ignore[assignment]


class SessionLocked(SessionError):
    """Another process writes this session; `pid` is that process when it said so."""

    def __init__(self, message: str, *, source: str, pid: int | None) -> None:
        super().__init__(message, source=source)
        self.pid = pid


def lock_path(session_path: Path) -> Path:
    """The lock file of a session: hidden, beside it, never listed as a session."""
    session_path = Path(session_path)
    return session_path.with_name(f".{session_path.name}.lock")


def _try_lock(fd: int) -> bool:
    """Lock the open file without waiting; False when another process holds it."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):  # held elsewhere
                return False
            raise
        return True
    if msvcrt is not None:  # pragma: no cover - Windows
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    return True  # pragma: no cover - no locking on this platform: one writer is up to the user


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


_HELD: dict[str, list[int]] = {}
"""Lock file path -> [fd, holders] for the locks this process holds."""


class SessionLock:
    """The exclusive right to write one session file, held until `release` or process exit."""

    def __init__(self, session_path: Path) -> None:
        self.session_path = Path(session_path)
        self.path = lock_path(self.session_path)
        self._key = os.path.abspath(self.path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock (again a no-op when held). Raises `SessionLocked` when another process
        has it, `SessionError` when the lock file cannot be made (the folder is missing or not
        writable: the session could not be saved there either)."""
        if self._fd is not None:
            return
        shared = _HELD.get(self._key)
        if shared is not None:
            shared[1] += 1
            self._fd = shared[0]
            return
        source = str(self.session_path)
        for _ in range(20):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                reason = error.strerror or str(error)
                raise SessionError.at(source, "", f"cannot save here: {reason}") from None
            if not _try_lock(fd):
                os.close(fd)
                pid = _read_pid(self.path)
                holder = f"process {pid}" if pid else "another process"
                raise SessionLocked(
                    f"{source}: open in {holder}, which is writing it; "
                    "close that first (or wait for it to finish)",
                    source=source,
                    pid=pid,
                )
            if self._still_linked(fd):
                break
            os.close(fd)  # released and removed meanwhile: lock the file that is there now
        else:  # pragma: no cover - 20 races in a row
            raise SessionError.at(source, "", "cannot take the session lock; try again")
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError as error:  # disk full: give the lock up whole, never half-held
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            os.close(fd)
            reason = error.strerror or str(error)
            raise SessionError.at(source, "", f"cannot save here: {reason}") from None
        self._fd = fd
        _HELD[self._key] = [fd, 1]

    def _still_linked(self, fd: int) -> bool:
        try:
            here = os.stat(self.path)
        except OSError:
            return False
        mine = os.fstat(fd)
        return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)

    def release(self) -> None:
        """Give the lock up and remove its file (unlinked first, while still held, so nobody
        locks a file that is about to vanish)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        shared = _HELD.get(self._key)
        if shared is not None:
            shared[1] -= 1
            if shared[1] > 0:
                return
            del _HELD[self._key]
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(fd)
