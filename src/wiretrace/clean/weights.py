"""The classifier's learned weights as data files, read and written here.

``clean/data/html.json`` and ``clean/data/text.json`` hold one mode's model each (``{"meta": ...,
"model": ...}``, indented, sorted keys); ``clean/data/lexicon.tsv`` holds the learned word lexicon,
one ``word<TAB>weight`` line per word, sorted, under a ``# {meta as JSON}`` header line. Every meta
block names the format version, the feature names in order, the SHA-256 of the training split's
page keys and what training reported (thresholds, F1 on train and test pages); a model's meta also
names the digest of the lexicon its features read.

``bench/clean_train.py`` writes the files (``write_model``, ``write_lexicon``); the cleaner reads
them from the installed package (``data_dir``, ``importlib.resources``). A missing file, another
format version, features other than the code's or a model trained with another lexicon are a
``DataFileError`` naming the file and the fix, never a silent fallback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from wiretrace.clean.features import LEXICON, STAGE1, stage2_names
from wiretrace.errors import DataFileError

FORMAT = 1  # the version of the files' layout this code reads and writes
MODES = ("html", "text")  # "html": pages with markup hints; "text": plain text
LEXICON_FILE = "lexicon.tsv"
WRITER = "bench/clean_train.py"
RETRAIN = f"run {WRITER} to write it for the features as they are now"
REINSTALL = f"reinstall wiretrace (the file ships in the package), or run {WRITER} to write it"


def data_dir() -> Traversable:
    """Where the installed package keeps the weights (``wiretrace/clean/data``)."""
    return files("wiretrace.clean") / "data"


def model_file(mode: str) -> str:
    if mode not in MODES:
        raise DataFileError(f"{mode}.json", f"no weights for mode {mode!r}", f"the modes are {', '.join(MODES)}")
    return f"{mode}.json"


def model_features(mode: str) -> dict[str, list[str]]:
    """The feature names each stage of ``mode``'s model reads, in order."""
    return {"stage1": list(STAGE1), "stage2": list(STAGE1 + stage2_names(mode))}


def split_digest(keys: Iterable[str]) -> str:
    """SHA-256 of the training split's page keys, sorted, one a line: which pages the weights saw."""
    return hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()


def _lexicon_lines(lexicon: Mapping[str, float]) -> list[str]:
    return [f"{word}\t{float(weight)!r}" for word, weight in sorted(lexicon.items())]


def lexicon_digest(lexicon: Mapping[str, float]) -> str:
    """SHA-256 of the lexicon's lines as ``lexicon.tsv`` holds them."""
    return hashlib.sha256("\n".join(_lexicon_lines(lexicon)).encode("utf-8")).hexdigest()


# --- reading -------------------------------------------------------------------------------------
def _read_text(path: Traversable) -> str:
    if not path.is_file():
        raise DataFileError(str(path), "the cleaner's weights file is missing", REINSTALL)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataFileError(str(path), f"cannot be read ({e})", REINSTALL) from e


def _check_meta(path: Traversable, meta: object, features: object) -> dict[str, Any]:
    if not isinstance(meta, dict):
        raise DataFileError(str(path), "has no meta block", RETRAIN)
    if meta.get("format") != FORMAT:
        raise DataFileError(
            str(path), f"is of format version {meta.get('format')!r}, this wiretrace reads version {FORMAT}", RETRAIN
        )
    if meta.get("features") != features:
        raise DataFileError(str(path), f"holds weights for other features than the code's ({features})", RETRAIN)
    return meta


def read_model(path: Traversable, mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model of ``mode`` in the file at ``path`` and its meta block, checked against the code."""
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as e:
        raise DataFileError(str(path), f"is not valid JSON ({e})", REINSTALL) from e
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        raise DataFileError(str(path), "holds no model", REINSTALL)
    features = model_features(mode)
    meta = _check_meta(path, data.get("meta"), features)
    if meta.get("mode") != mode:
        raise DataFileError(str(path), f"holds the weights of mode {meta.get('mode')!r}, not {mode!r}", RETRAIN)
    model: dict[str, Any] = data["model"]
    for stage, names in features.items():
        if not isinstance(model.get(stage), dict) or model[stage].get("names") != names:
            raise DataFileError(str(path), f"its {stage} weights do not read the features its meta names", RETRAIN)
    return model, meta


def read_lexicon(path: Traversable) -> tuple[dict[str, float], dict[str, Any]]:
    """The lexicon in the file at ``path`` (word -> weight) and its meta block."""
    text = _read_text(path)
    head, _, body = text.partition("\n")
    if not head.startswith("# "):
        raise DataFileError(str(path), "has no '# {meta}' header line", RETRAIN)
    try:
        meta = json.loads(head[2:])
    except json.JSONDecodeError as e:
        raise DataFileError(str(path), f"its header line is not JSON ({e})", REINSTALL) from e
    meta = _check_meta(path, meta, list(LEXICON))
    lexicon: dict[str, float] = {}
    for n, line in enumerate(body.splitlines(), start=2):
        word, tab, weight = line.partition("\t")
        try:
            if not tab or not word or word in lexicon:
                raise ValueError(line)
            lexicon[word] = float(weight)
        except ValueError as e:
            raise DataFileError(str(path), f"line {n} is not one new 'word<TAB>weight' pair: {line!r}", REINSTALL) from e
    if len(lexicon) != meta.get("words"):
        raise DataFileError(str(path), f"holds {len(lexicon)} words, its header says {meta.get('words')}", REINSTALL)
    return lexicon, meta


# --- writing (bench/clean_train.py) ---------------------------------------------------------------
def write_model(
    folder: Path, mode: str, model: Mapping[str, Any], training: Mapping[str, Any], split_sha256: str, lexicon: Mapping[str, float]
) -> Path:
    """Write ``mode``'s model with its meta block into ``folder``; returns the file."""
    meta = {
        "format": FORMAT,
        "mode": mode,
        "features": model_features(mode),
        "training_split_sha256": split_sha256,
        "training": dict(training),
        "lexicon_sha256": lexicon_digest(lexicon),
        "written_by": WRITER,
    }
    path = folder / model_file(mode)
    path.write_text(json.dumps({"meta": meta, "model": model}, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_lexicon(folder: Path, lexicon: Mapping[str, float], split_sha256: str) -> Path:
    """Write the lexicon, sorted by word, under its meta header line; returns the file."""
    for word in lexicon:
        if not word or any(c.isspace() for c in word):
            raise ValueError(f"lexicon word {word!r} cannot be written as one 'word<TAB>weight' line")
    meta = {
        "format": FORMAT,
        "features": list(LEXICON),
        "training_split_sha256": split_sha256,
        "words": len(lexicon),
        "written_by": WRITER,
    }
    path = folder / LEXICON_FILE
    lines = ["# " + json.dumps(meta, sort_keys=True, ensure_ascii=False), *_lexicon_lines(lexicon)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
