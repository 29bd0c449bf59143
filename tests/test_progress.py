"""What a run shows while it works.

On a terminal: the plain line per document, and a progress line (done / total, rate, time left)
kept below them. Piped: the plain lines only, unchanged. --quiet: the closing summary only.
The terminal case runs the CLI on a real pseudo-terminal, as a user's shell would.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest
from stub_server import StubServer, write_abstracts

DOCS = 6
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _run(args: list[str], tmp_path: Path, terminal: bool) -> tuple[int, str]:
    """The CLI in a subprocess with stderr on a pseudo-terminal (or a pipe); returns rc and stderr."""
    env = {**os.environ, "SUMMARIZER_HOME": str(tmp_path / "home"), "TERM": "xterm-256color"}
    for name in ("OPENAI_API_KEY", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        env.pop(name, None)
    command = [sys.executable, "-m", "summarizer.cli", *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)
        return done.returncode, done.stderr.decode()
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[list[str]]:
    write_abstracts(tmp_path / "in", DOCS)
    with StubServer(delay_s=0.05) as stub:
        args = ["run", str(tmp_path / "in"), "--backend", "openai", "--base-url", stub.base_url]
        yield [*args, "--db", str(tmp_path / "s.db")]


def test_a_terminal_gets_a_progress_line_with_total_rate_and_time_left(
    batch: list[str], tmp_path: Path
) -> None:
    rc, screen = _run(batch, tmp_path, terminal=True)
    assert rc == 0, screen
    text = ANSI.sub("", screen).replace("\r", "\n")
    assert f"{DOCS}/{DOCS}" in text, text  # done / total
    assert re.search(r"\d+\.\d (docs/s|s/doc)", text), text  # rate
    assert re.search(r"eta \d+:\d\d:\d\d", text), text  # time left
    for i in range(DOCS):  # the per-document lines are still there, above it
        assert re.search(rf"\] ok .*doc{i:05d}\.txt: 1 findings", text), text
    assert "documents: 6 ok" in text


def test_piped_output_keeps_the_plain_lines(batch: list[str], tmp_path: Path) -> None:
    rc, err = _run(batch, tmp_path, terminal=False)
    assert rc == 0, err
    lines = err.splitlines()
    assert lines[DOCS].startswith("documents: ")  # one line per document, then the summary
    assert all(
        re.match(r"\[ {3}\d\] ok +\d+\.\ds  .*doc\d{5}\.txt: 1 findings$", line) for line in lines[:DOCS]
    )
    assert "\x1b" not in err and "\r" not in err and "eta" not in err


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_quiet_shows_only_the_summary(batch: list[str], tmp_path: Path, terminal: bool) -> None:
    rc, err = _run([*batch, "--quiet"], tmp_path, terminal)
    assert rc == 0, err
    text = ANSI.sub("", err).replace("\r", "")
    assert text.splitlines()[0].startswith("documents: 6 ok"), text
    assert "doc00000" not in text and "eta" not in text
