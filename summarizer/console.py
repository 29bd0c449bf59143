"""What the terminal is shown: text made safe to print.

File names and messages that quote them come from the user's disk and from model answers; a
terminal acts on control characters (colour, cursor moves, a carriage return that overwrites the
line) and shows bidirectional overrides reordered, so a name can look like another one.
"""

from __future__ import annotations

import re

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
