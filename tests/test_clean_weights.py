"""The cleaner's weights as data files: the shipped files load and match the code, a missing or
mismatched file is a clear error (never a silent fallback), and the writer reproduces them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench import clean_train

from wiretrace.clean import clean, weights
from wiretrace.clean.classifier import load_lexicon, load_model
from wiretrace.clean.features import LEXICON, STAGE1, stage2_names
from wiretrace.errors import DataFileError
from wiretrace.model import Document, Format

SHIPPED = Path(str(weights.data_dir()))
FILES = ("html.json", "text.json", "lexicon.tsv")


@pytest.fixture
def fresh_loads() -> Iterator[None]:
    """Forget the loaded weights before and after a test that points the loaders elsewhere."""
    load_model.cache_clear()
    load_lexicon.cache_clear()
    yield
    load_model.cache_clear()
    load_lexicon.cache_clear()


def _copy_shipped(to: Path) -> Path:
    for name in FILES:
        shutil.copy(SHIPPED / name, to / name)
    return to


def test_shipped_weights_load_and_match_the_code() -> None:
    lexicon = load_lexicon()
    lex_meta = weights.read_lexicon(SHIPPED / "lexicon.tsv")[1]
    assert len(lexicon) == lex_meta["words"] > 1000
    assert lex_meta["features"] == list(LEXICON)
    for mode in weights.MODES:
        m = load_model(mode)
        assert m.stage1.names == STAGE1 and m.stage2.names == STAGE1 + stage2_names(mode)
        _, meta = weights.read_model(SHIPPED / f"{mode}.json", mode)
        assert meta["format"] == weights.FORMAT and meta["mode"] == mode
        assert meta["lexicon_sha256"] == weights.lexicon_digest(lexicon)
        assert meta["training_split_sha256"] == lex_meta["training_split_sha256"]
        assert len(meta["training_split_sha256"]) == 64
        assert meta["training"]["threshold"] == pytest.approx(m.threshold, abs=1e-4)
        assert 0.8 < meta["training"]["test"]["trafilatura-eval"] <= 1.0


def test_shipped_files_are_sorted_and_indented() -> None:
    lines = (SHIPPED / "lexicon.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# {")
    words = [line.split("\t")[0] for line in lines[1:]]
    assert words == sorted(words) and all(line.count("\t") == 1 for line in lines[1:])
    for mode in weights.MODES:
        text = (SHIPPED / f"{mode}.json").read_text(encoding="utf-8")
        data = json.loads(text)
        assert list(data) == ["meta", "model"] and text.startswith('{\n "meta": {\n')
        assert text == json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def test_lexicon_round_trips(tmp_path: Path) -> None:
    lexicon = {"zebra": -0.001, "aber": 3.0, "ünter": 1e-07, "o'neill": -2.5, "日本": 0.1 + 0.2}
    weights.write_lexicon(tmp_path, lexicon, "ab" * 32)
    back, meta = weights.read_lexicon(tmp_path / "lexicon.tsv")
    assert back == lexicon and list(back) == sorted(lexicon)
    assert meta["words"] == 5 and meta["training_split_sha256"] == "ab" * 32
    shipped = load_lexicon()
    weights.write_lexicon(tmp_path, shipped, weights.read_lexicon(SHIPPED / "lexicon.tsv")[1]["training_split_sha256"])
    assert (tmp_path / "lexicon.tsv").read_bytes() == (SHIPPED / "lexicon.tsv").read_bytes()
    with pytest.raises(ValueError, match="cannot be written"):
        weights.write_lexicon(tmp_path, {"two words": 1.0}, "ab" * 32)


def test_training_script_writes_the_shipped_files_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bench/clean_train.py's writer, given what the files hold (every mode kept), writes them byte for byte."""
    out = _copy_shipped(tmp_path)
    monkeypatch.setattr(clean_train, "OUT", out)
    lexicon, shipped = clean_train._shipped()
    split = shipped["html"][1]["training_split_sha256"]
    models, report = clean_train.keep_other_modes({}, {}, lexicon, split)
    for name in FILES:
        (out / name).unlink()
    clean_train.write_weights(models, report, lexicon, split)
    for name in FILES:
        assert (out / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    with pytest.raises(SystemExit, match="training split changed"):
        clean_train.keep_other_modes({}, {}, lexicon, "0" * 64)


def test_missing_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_loads: None) -> None:
    monkeypatch.setattr(weights, "data_dir", lambda: tmp_path)
    with pytest.raises(DataFileError, match="lexicon.tsv: the cleaner's weights file is missing") as e:
        clean(Document("d", "A line of text.\nAnother line of text here.", "d.txt", Format.TEXT))
    assert str(tmp_path) in str(e.value) and "reinstall wiretrace" in str(e.value) and "bench/clean_train.py" in str(e.value)
    shutil.copy(SHIPPED / "lexicon.tsv", tmp_path / "lexicon.tsv")
    with pytest.raises(DataFileError, match="html.json: the cleaner's weights file is missing"):
        load_model("html")


def test_mismatched_features_are_a_clear_error(tmp_path: Path) -> None:
    data = json.loads((SHIPPED / "html.json").read_text(encoding="utf-8"))
    data["meta"]["features"]["stage1"] = data["meta"]["features"]["stage1"][:-1]
    (tmp_path / "html.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataFileError, match="other features than the code's") as e:
        weights.read_model(tmp_path / "html.json", "html")
    assert "run bench/clean_train.py" in str(e.value)
    # the text model read as the HTML model: its stage 2 reads other features
    with pytest.raises(DataFileError, match="other features"):
        weights.read_model(SHIPPED / "text.json", "html")
    data = json.loads((SHIPPED / "html.json").read_text(encoding="utf-8"))
    data["model"]["stage2"]["names"] = data["model"]["stage2"]["names"][::-1]
    (tmp_path / "html.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataFileError, match="stage2 weights do not read the features"):
        weights.read_model(tmp_path / "html.json", "html")
    lex = (SHIPPED / "lexicon.tsv").read_text(encoding="utf-8").replace('"lex_w3"', '"lex_w5"', 1)
    (tmp_path / "lexicon.tsv").write_text(lex, encoding="utf-8")
    with pytest.raises(DataFileError, match="lexicon.tsv: holds weights for other features"):
        weights.read_lexicon(tmp_path / "lexicon.tsv")


def test_other_format_version_or_truncation_is_a_clear_error(tmp_path: Path) -> None:
    data = json.loads((SHIPPED / "text.json").read_text(encoding="utf-8"))
    data["meta"]["format"] = weights.FORMAT + 1
    (tmp_path / "text.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataFileError, match=f"format version {weights.FORMAT + 1}, this wiretrace reads version {weights.FORMAT}"):
        weights.read_model(tmp_path / "text.json", "text")
    lines = (SHIPPED / "lexicon.tsv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "lexicon.tsv").write_text("\n".join(lines[:-10]) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="header says"):
        weights.read_lexicon(tmp_path / "lexicon.tsv")
    (tmp_path / "lexicon.tsv").write_text("\n".join([*lines[:3], "word 1.0", *lines[3:]]) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="line 4 is not one new 'word<TAB>weight' pair"):
        weights.read_lexicon(tmp_path / "lexicon.tsv")


def test_model_trained_with_another_lexicon_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_loads: None
) -> None:
    lexicon, meta = weights.read_lexicon(_copy_shipped(tmp_path) / "lexicon.tsv")
    word = next(iter(lexicon))
    weights.write_lexicon(tmp_path, {**lexicon, word: lexicon[word] + 1.0}, meta["training_split_sha256"])
    monkeypatch.setattr(weights, "data_dir", lambda: tmp_path)
    with pytest.raises(DataFileError, match="trained with another lexicon than lexicon.tsv"):
        load_model("text")
