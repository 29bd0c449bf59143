"""What the terminal is shown: text made safe to print, and the progress of a run.

File names and messages that quote them come from the user's disk and from model answers; a
terminal acts on control characters (colour, cursor moves, a carriage return that overwrites the
line) and shows bidirectional overrides reordered, so a name can look like another one.
"""

from __future__ import annotations

import re
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

# C0 and C1 controls, DEL, and the Unicode format characters that reorder or break lines.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control or bidirectional character written as a visible escape."""
    return _UNSAFE.sub(_escape, str(text))


def printable_lines(text: str) -> str:
    """Like ``printable`` for each line, keeping the line breaks."""
    return "\n".join(printable(line) for line in text.split("\n"))


class RateColumn(ProgressColumn):
    """Documents per second, or seconds per document when slower than one a second."""

    def render(self, task: Task) -> Text:
        """The rate as text (blank until there is one)."""
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("")
        return Text(f"{speed:.1f} docs/s" if speed >= 1 else f"{1 / speed:.1f} s/doc")


class RunDisplay:
    """What ``run`` shows while it works: a plain line per document, and on a terminal a
    progress line below them (done / total, rate, time left) that stays at the bottom.

    Piped or redirected output gets only the plain lines, as before, so logs and scripts see
    the same text. Use as a context manager around the batch.
    """

    def __init__(self, stream: TextIO, total: int | None, *, live: bool | None = None) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if self.live:
            self._progress = Progress(
                TextColumn("summarizing"),
                BarColumn(),
                MofNCompleteColumn(),
                RateColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=Console(file=stream, highlight=False),
                # LLM documents take seconds each: average over minutes, not the last few.
                speed_estimate_period=600.0,
                redirect_stdout=False,  # stdout may carry `-o -` data
            )
            self._task = self._progress.add_task("run", total=total)

    def __enter__(self) -> RunDisplay:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def line(self, text: str) -> None:
        """One line of the per-document log (made printable here)."""
        if self._progress is not None:
            self._progress.console.print(Text(printable(text)), soft_wrap=True)
        else:
            self.stream.write(printable(text) + "\n")
            self.stream.flush()

    def advance(self) -> None:
        """One more document is done (whatever its outcome)."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)
