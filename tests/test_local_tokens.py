"""The local backend bans line-break tokens: read from the model file's GGUF token list, sent as
``logit_bias`` with every request (a hand-made GGUF file stands in for the model)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import instructor
import openai
import pytest
from stub_server import StubServer, synthetic_abstract

from summarizer.inputs.sources import parse_text
from summarizer.model.backends.gguf import line_break_tokens, read_tokens
from summarizer.model.backends.local import _request_options
from summarizer.model.prompts import load_prompts
from summarizer.reading.extract import Extractor

# Byte-level (GPT-2 style) token strings: "Ċ" is a line break, "Ġ" a space, "ĉ" a tab.
TOKENS = ["Hello", "Ċ", "}ĊĊ", ",Ċ", "ĠĠ", "aĊ", '"]}Ċ', "ĠĠĠĠĊ", "ĉĊ", "]}", "ĊĠĠ"]
BREAKS = [1, 2, 3, 6, 7, 8, 10]  # JSON punctuation and white space with a line break in it


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, tokenizer: str, tokens: list[str]) -> Path:
    """A GGUF header with a few metadata values of several types, and no tensors."""
    kvs = [
        _string("general.architecture") + struct.pack("<I", 8) + _string("qwen2"),
        _string("general.file_type") + struct.pack("<I", 4) + struct.pack("<I", 15),
        _string("some.floats") + struct.pack("<I", 9) + struct.pack("<IQ", 6, 2) + struct.pack("<2f", 1, 2),
        _string("some.strings")
        + struct.pack("<I", 9)
        + struct.pack("<IQ", 8, 2)
        + _string("a")
        + _string("b"),
        _string("tokenizer.ggml.model") + struct.pack("<I", 8) + _string(tokenizer),
        _string("tokenizer.ggml.tokens")
        + struct.pack("<I", 9)
        + struct.pack("<IQ", 8, len(tokens))
        + b"".join(_string(t) for t in tokens),
    ]
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs))
    return path


def test_line_break_tokens_are_read_from_the_model_file(tmp_path: Path) -> None:
    model = write_gguf(tmp_path / "m.gguf", "gpt2", TOKENS)
    assert read_tokens(model) == ("gpt2", TOKENS)
    assert line_break_tokens(model) == BREAKS
    # ... and become a ban in every request's logit_bias
    assert _request_options(model) == {"logit_bias": {str(t): -100 for t in BREAKS}}


def test_an_unknown_tokenizer_or_unreadable_file_bans_nothing(tmp_path: Path) -> None:
    assert line_break_tokens(write_gguf(tmp_path / "spm.gguf", "llama", TOKENS)) == []
    (tmp_path / "bad.gguf").write_bytes(b"GGUF\x03\x00")
    assert _request_options(tmp_path / "bad.gguf") == {}
    (tmp_path / "other.bin").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a GGUF file"):
        read_tokens(tmp_path / "other.bin")


def test_the_backends_request_options_go_out_with_every_request() -> None:
    bodies: list[dict[str, Any]] = []

    def capture(index: int, body: dict[str, Any]) -> str:
        bodies.append(body)
        return "ok"

    doc = parse_text(synthetic_abstract(3), doc_id="d3", sha256="0" * 64)
    with StubServer(choose=capture) as stub:
        client = openai.OpenAI(base_url=stub.base_url, api_key="k", max_retries=0)
        options = {"logit_bias": {"198": -100}}
        extractor = Extractor(
            client, "m", instructor.Mode.JSON_SCHEMA, load_prompts(), request_options=options
        )
        outcome = extractor.extract(doc)
    assert outcome.paper is not None and bodies
    assert all(body["logit_bias"] == {"198": -100} for body in bodies)
