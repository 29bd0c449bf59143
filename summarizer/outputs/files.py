"""Writing the files a user names with ``-o``.

``-`` is standard output. A symlink is written through (its target gets the new content, the
link stays). A regular file is replaced atomically (a temporary file beside it, then a rename),
so a reader never sees half of it; a named pipe or a device is written into as it is. Every
failure is an ``OutputError`` that names the file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path
from typing import TextIO

from ..errors import SummarizerError

STDOUT = "-"


class OutputError(SummarizerError):
    """An output file cannot be written."""


def check_target(target: str) -> None:
    """Refuse, before any work, an output that cannot be written (a missing folder, a folder)."""
    if target == STDOUT:
        return
    real = Path(os.path.realpath(target))
    if real.is_dir():
        raise OutputError(f"{target} is a folder; give a file name for -o")
    if not real.parent.is_dir():
        raise OutputError(f"cannot write {target}: folder {real.parent} does not exist; create it first")


def write_text(target: str, text: str, stdout: TextIO | None = None) -> int:
    """Write ``text`` (UTF-8) to ``target``; returns the bytes written."""
    data = text.encode("utf-8")
    if target == STDOUT:
        out = stdout or sys.stdout
        out.write(text)
        out.flush()
        return len(data)
    real = os.path.realpath(target)  # through every symlink, to the file that gets the bytes
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _error(target, exc) from exc
    try:
        if mode is not None and not stat.S_ISREG(mode):
            with open(real, "wb") as fh:  # a pipe or a device: never replace it with a file
                fh.write(data)
        else:
            _replace(real, data, mode)
    except OSError as exc:
        raise _error(target, exc) from exc
    return len(data)


def _replace(real: str, data: bytes, mode: int | None) -> None:
    folder, name = os.path.split(real)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    # O_EXCL: never write through someone else's file or link of that name; 0o666 minus the umask
    # for a new file, as open() would give it.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, stat.S_IMODE(mode))  # a replaced file keeps its permissions
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _error(target: str, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {target} ({exc.strerror or exc})")
