"""Just enough of the GGUF format to read a model's token list from its metadata.

The local backend uses it to find the tokens that would put line breaks into the model's JSON
(see ``line_break_tokens``). Only the metadata at the head of the file is read.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

# GGUF metadata value types: fixed sizes, and the two variable ones.
_FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9


def _read(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ValueError("GGUF metadata ends early")
    return data


def _u32(stream: BinaryIO) -> int:
    return int(struct.unpack("<I", _read(stream, 4))[0])


def _u64(stream: BinaryIO) -> int:
    return int(struct.unpack("<Q", _read(stream, 8))[0])


def _string(stream: BinaryIO) -> str:
    return _read(stream, _u64(stream)).decode("utf-8", errors="replace")


def _skip(stream: BinaryIO, kind: int) -> None:
    if kind in _FIXED_SIZES:
        stream.seek(_FIXED_SIZES[kind], 1)
    elif kind == _STRING:
        stream.seek(_u64(stream), 1)
    elif kind == _ARRAY:
        item, count = _u32(stream), _u64(stream)
        if item in _FIXED_SIZES:
            stream.seek(_FIXED_SIZES[item] * count, 1)
        else:
            for _ in range(count):
                _skip(stream, item)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")


def read_tokens(path: Path) -> tuple[str, list[str]]:
    """The tokenizer model name (e.g. "gpt2") and the token strings, in id order."""
    with path.open("rb") as stream:
        if _read(stream, 4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        _u32(stream)  # version
        _u64(stream)  # tensor count
        tokenizer, tokens = "", None
        for _ in range(_u64(stream)):
            key, kind = _string(stream), _u32(stream)
            if key == "tokenizer.ggml.model" and kind == _STRING:
                tokenizer = _string(stream)
            elif key == "tokenizer.ggml.tokens" and kind == _ARRAY:
                item, count = _u32(stream), _u64(stream)
                if item != _STRING:
                    raise ValueError("tokenizer.ggml.tokens is not a list of strings")
                tokens = [_string(stream) for _ in range(count)]
            else:
                _skip(stream, kind)
            if tokenizer and tokens is not None:
                break
    if tokens is None:
        raise ValueError(f"{path} has no token list")
    return tokenizer, tokens


def _byte_level_alphabet() -> dict[str, int]:
    """GPT-2 byte-level BPE: the printable character that stands for each byte in token strings."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return {c: b for b, c in chars.items()}


_JSON_LAYOUT = set('{}[],:" \t\n')


def line_break_tokens(path: Path) -> list[int]:
    """Ids of the tokens made only of JSON punctuation and white space, with a line break in them.

    In schema-constrained output these can only appear where the grammar allows white space
    (strings may not hold a raw line break), so banning them forces compact one-line JSON and,
    above all, ends the answer at the closing brace: the grammar lets the model add up to two
    line breaks and twenty spaces there, and the 1.5B model did, ~20 tokens per answer. Empty
    for a tokenizer this does not know (only GPT-2 style byte-level tokens are decoded).
    """
    tokenizer, tokens = read_tokens(path)
    if tokenizer != "gpt2":
        return []
    alphabet = _byte_level_alphabet()
    line_break = next(c for c, b in alphabet.items() if b == ord("\n"))
    ids = []
    for token_id, token in enumerate(tokens):
        if line_break not in token or any(c not in alphabet for c in token):
            continue
        text = bytes(alphabet[c] for c in token).decode("utf-8", errors="replace")
        if "\n" in text and set(text) <= _JSON_LAYOUT:
            ids.append(token_id)
    return ids
