"""Files written whole or not at all, safely: every file mlpkit writes goes through here.

``write_atomic(path, fill)`` writes into a temporary file beside the target — made by
``tempfile.mkstemp`` (O_EXCL, an unpredictable name: a planted link is never followed),
locked while it is written, given its permissions with ``fchmod`` on the file itself
(the process's umask is read, never set) — flushed, fsynced and renamed over the target,
so a crash leaves the old file or the new one. Temporary files that earlier, killed
writes of the same target left behind are recognised (no writer holds their lock) and
removed. ``check_target`` says, before any work, why a path cannot be written.

Nothing here imports the rest of the package.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

try:  # POSIX: the lock that tells a live write from a stale one
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["check_target", "write_atomic"]

_SUFFIX = ".tmp"


def _prefix(target: Path) -> str:
    return f".{target.name}."


def check_target(path: str | os.PathLike[str], what: str = "output") -> Path:
    """The path, if a file can be written there; else a ValueError naming why (it is a
    folder; a parent is a file; the nearest existing folder is not writable)."""
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{target}: the {what} is a folder; give a file name inside it")
    if target.name in ("", ".", ".."):
        raise ValueError(f"{target}: the {what} needs a file name")
    parent = target.parent
    while not parent.exists():
        if parent.is_symlink():  # a dangling link where a folder should be
            raise ValueError(f"{target}: {parent} is a broken link")
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{target}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{target}: the folder {parent} is not writable")
    return target


def _umask() -> int:
    """The process's umask, read without changing it (Linux's /proc; elsewhere 022)."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        with open("/proc/self/status") as f:
            line = next(ln for ln in f if ln.startswith("Umask:"))
        return int(line.split()[1], 8)
    return 0o022


def _mode_for(target: Path) -> int:
    """A replaced file keeps its permissions; a new one gets what open() would give it."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(os.stat(target).st_mode)
    return 0o666 & ~_umask()


def remove_stale(target: Path) -> int:
    """Remove the temporary files killed writes of ``target`` left (regular files of
    this target's temporary name whose lock nobody holds); returns how many. A link is
    never followed, a file being written (locked) never touched."""
    if fcntl is None:
        return 0
    removed = 0
    prefix = _prefix(target)
    with contextlib.suppress(OSError):
        names = [
            n for n in os.listdir(target.parent) if n.startswith(prefix) and n.endswith(_SUFFIX)
        ]
        for name in names:
            candidate = target.parent / name
            try:
                fd = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue  # a link, or gone
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a live write holds it
                os.unlink(candidate)
                removed += 1
            finally:
                os.close(fd)
    return removed


def write_atomic(path: str | os.PathLike[str], fill: Callable[[IO[bytes]], Any],
                 what: str = "output") -> Path:  # fmt: skip
    """Write ``path`` whole or not at all: ``fill(f)`` writes the bytes into a binary
    file object (see the module docstring). Returns the path."""
    target = check_target(path, what)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(target), suffix=_SUFFIX, dir=target.parent)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held until the file is closed: not stale
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return target


def write_text(path: str | os.PathLike[str], text: str, what: str = "output") -> Path:
    """``write_atomic`` of UTF-8 text."""
    data = text.encode("utf-8")
    return write_atomic(path, lambda f: f.write(data), what)
