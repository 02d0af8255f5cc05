"""The aligner's data files: the paraphrase model and the cascade bounds ship in the package and are
checked on load; a missing or mismatched file is a DataFileError naming the file and the fix."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from wiretrace.align import (
    PARAPHRASE_FEATURES,
    SHORT_FEATURES,
    AlignConfig,
    load_paraphrase_model,
    load_semantic_bounds,
    paraphrase_decision,
    paraphrase_features,
    paraphrase_model,
    paraphrase_probability,
    residue,
    residue_features,
    semantic_bounds,
    sentence_profile,
    short_probability,
)
from wiretrace.align.features import PARAPHRASE_FORMAT, paraphrase_data_file
from wiretrace.errors import DataFileError

SHIPPED = Path(str(paraphrase_data_file()))


def _copy(tmp_path: Path, edit: object = None) -> Path:
    """A tmp copy of the shipped model file, its JSON changed by ``edit(doc)`` where given."""
    path = tmp_path / "paraphrase.json"
    shutil.copyfile(SHIPPED, path)
    if callable(edit):
        doc = json.loads(path.read_text(encoding="utf-8"))
        edit(doc)
        path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_shipped_model_loads_with_its_meta(tmp_path: Path) -> None:
    model = paraphrase_model()
    meta = model.meta
    assert meta["format"] == PARAPHRASE_FORMAT and meta["features"] == list(PARAPHRASE_FEATURES)
    assert len(model.weights) == len(PARAPHRASE_FEATURES)
    assert len(meta["training"]["split_sha256"]) == 64 and meta["training"]["pairs"] > 1000
    assert 0.5 < meta["scores"]["cv_accuracy"] < 1.0
    assert meta["scores"]["paraphrase_p"] == AlignConfig().paraphrase_p  # the threshold shipped is the one fitted
    assert load_paraphrase_model(_copy(tmp_path)) == model  # a copy reads the same


def test_the_model_file_decides() -> None:
    """The probability is the logistic of the file's bias and weights over the features."""
    a = sentence_profile("The ferry strike ended on Monday after the union accepted the wage offer.")
    b = sentence_profile("The union accepted the wage offer on Monday, ending the ferry strike.")
    p = paraphrase_probability(a, b, 0.9)
    assert p > AlignConfig().paraphrase_p and paraphrase_decision(a, b, 0.9, AlignConfig()) == p
    assert paraphrase_probability(a, b, 0.2) < p


def test_missing_file_names_it_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "paraphrase.json"
    with pytest.raises(DataFileError, match=r"gone/paraphrase\.json.*missing.*calibrate\.py --part align --write"):
        load_paraphrase_model(path)


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path, lambda d: d["meta"].update(format=PARAPHRASE_FORMAT + 1))
    with pytest.raises(DataFileError, match=rf"paraphrase\.json.*format version {PARAPHRASE_FORMAT}, found {PARAPHRASE_FORMAT + 1}"):
        load_paraphrase_model(path)


def test_other_features_are_refused(tmp_path: Path) -> None:
    def swap(doc: dict) -> None:  # the same names, two of them in another order
        f = doc["meta"]["features"]
        f[0], f[1] = f[1], f[0]

    with pytest.raises(DataFileError, match=r"paraphrase\.json.*the features this code computes"):
        load_paraphrase_model(_copy(tmp_path, swap))

    def drop(doc: dict) -> None:
        doc["meta"]["features"].pop()
        doc["weights"].pop(PARAPHRASE_FEATURES[-1])

    with pytest.raises(DataFileError, match="the features this code computes"):
        load_paraphrase_model(_copy(tmp_path, drop))


def test_weights_must_follow_the_features(tmp_path: Path) -> None:
    path = _copy(tmp_path, lambda d: d["weights"].pop("cos2"))
    with pytest.raises(DataFileError, match="one weight per feature"):
        load_paraphrase_model(path)
    path = _copy(tmp_path, lambda d: d.update(bias="high"))
    with pytest.raises(DataFileError, match="a number for 'bias'"):
        load_paraphrase_model(path)


def test_bounds_file_ships_in_the_package_and_a_broken_one_is_named(tmp_path: Path) -> None:
    shipped = Path(str(paraphrase_data_file())).with_name("semantic_bounds.json")
    assert load_semantic_bounds(shipped) == semantic_bounds()
    with pytest.raises(DataFileError, match=r"nowhere\.json.*semantic_calibrate\.py --write"):
        load_semantic_bounds(tmp_path / "nowhere.json")
    broken = tmp_path / "semantic_bounds.json"
    doc = json.loads(shipped.read_text(encoding="utf-8"))
    del doc["bounds"]["doc"]
    broken.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataFileError, match="cascade=False"):
        load_semantic_bounds(broken)


def test_short_text_threshold_is_read_and_checked(tmp_path: Path) -> None:
    """``meta.scores.short_p`` (compare()'s threshold for short texts) is part of the file: below the
    accuracy threshold (F1 on MRPC favours saying paraphrase), and refused when missing or no probability."""
    model = paraphrase_model()
    assert model.short_p == model.meta["scores"]["short_p"]
    assert 0.0 < model.short_p < AlignConfig().paraphrase_p
    for bad in (None, 1.5, "0.4", True):

        def edit(doc: dict, bad: object = bad) -> None:
            if bad is None:
                del doc["meta"]["scores"]["short_p"]
            else:
                doc["meta"]["scores"]["short_p"] = bad

        with pytest.raises(DataFileError, match=r"paraphrase\.json.*'meta\.scores\.short_p' probability"):
            load_paraphrase_model(_copy(tmp_path, edit))


def test_short_text_model_is_read_and_checked(tmp_path: Path) -> None:
    """The ``short`` block (compare()'s model on short texts) holds a bias and one weight per feature of
    ``PARAPHRASE_FEATURES`` then ``SHORT_FEATURES``; its probability is their logistic; a file without
    it, or with its weights in another order, is refused."""
    model = paraphrase_model()
    assert len(model.short_weights) == len(PARAPHRASE_FEATURES) + len(SHORT_FEATURES)
    a = sentence_profile("The ferry strike ended on Monday after the union accepted the wage offer.")
    b = sentence_profile("The union accepted the wage offer on Monday, ending the ferry strike.")
    x = (*paraphrase_features(a, b, 0.9), 1.0, 0.8, 0.9)
    z = model.short_bias + sum(w * v for w, v in zip(model.short_weights, x, strict=True))
    assert short_probability(a, b, 0.9, (1.0, 0.8, 0.9)) == pytest.approx(1.0 / (1.0 + math.exp(-z)))
    # what one side adds that the other does not say lowers it (the residues' cosines carry weight)
    assert short_probability(a, b, 0.9, (0.1, 0.1, 0.2)) < short_probability(a, b, 0.9, (0.9, 0.8, 0.9))
    with pytest.raises(DataFileError, match=r"paraphrase\.json.*a 'short' block"):
        load_paraphrase_model(_copy(tmp_path, lambda d: d.pop("short")))

    def swap(doc: dict) -> None:
        w = list(doc["short"]["weights"].items())
        w[-1], w[-2] = w[-2], w[-1]
        doc["short"]["weights"] = dict(w)

    with pytest.raises(DataFileError, match=r"a 'short' block"):
        load_paraphrase_model(_copy(tmp_path, swap))


def test_residue_is_what_the_other_side_does_not_write() -> None:
    """A side's residue keeps its content words whose 5-letter stem the other side lacks, in order."""
    a = "The protesters marched to parliament on Friday, police said."
    b = "Protests reached parliament on Friday."
    assert residue(a, 0, len(a), sentence_profile(b)) == "marched police"  # "said" is a stop word
    assert residue(b, 0, len(b), sentence_profile(a)) == "reached"
    assert residue(b, 0, len(b), sentence_profile(b)) == ""
    va, vb, ra, rb = (np.eye(4, dtype=np.float32)[i] for i in range(4))
    assert residue_features(va, vb, None, None) == (1.0, 1.0, 1.0)  # nothing added on either side
    assert residue_features(va, vb, ra, None) == (0.0, 0.0, 1.0)  # one side adds what the other never says


def test_a_model_file_named_by_the_environment_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``$WIRETRACE_PARAPHRASE_MODEL`` (how bench/mrpc_eval.py scores compare() with fold models) is
    read and checked as the shipped file is; without it the shipped model comes back."""
    from wiretrace.align.features import MODEL_ENV

    a = sentence_profile("The ferry strike ended on Monday after the union accepted the wage offer.")
    b = sentence_profile("The union accepted the wage offer on Monday, ending the ferry strike.")
    shipped = paraphrase_probability(a, b, 0.9)
    flipped = _copy(tmp_path, lambda d: d.update(bias=d["bias"] - 20.0))
    monkeypatch.setenv(MODEL_ENV, str(flipped))
    paraphrase_model.cache_clear()
    try:
        assert paraphrase_model().bias == pytest.approx(json.loads(SHIPPED.read_text(encoding="utf-8"))["bias"] - 20.0)
        assert paraphrase_probability(a, b, 0.9) < 0.01 < shipped
        monkeypatch.setenv(MODEL_ENV, str(tmp_path / "none.json"))
        paraphrase_model.cache_clear()
        with pytest.raises(DataFileError, match=r"none\.json.*missing"):
            paraphrase_model()
    finally:
        monkeypatch.delenv(MODEL_ENV)
        paraphrase_model.cache_clear()
    assert paraphrase_probability(a, b, 0.9) == shipped


def test_number_and_negation_features_read_the_sentences() -> None:
    """The agreement features after sequence_ratio: numbers shared vs differing, negation on one side."""
    names = list(PARAPHRASE_FEATURES)

    def feats(x: str, y: str) -> dict[str, float]:
        return dict(zip(names, paraphrase_features(sentence_profile(x), sentence_profile(y), 0.8), strict=True))

    same = feats("Shares rose 5 percent to 120 pence on Friday.", "On Friday the shares gained 5 percent to 120 pence.")
    assert same["numbers_shared"] == 1.0 and same["numbers_differ"] == 0.0 and same["negation_mismatch"] == 0.0
    other = feats("Shares rose 5 percent to 120 pence on Friday.", "Shares rose 7 percent to 131 pence on Friday.")
    assert other["numbers_shared"] == 0.0 and other["numbers_disjoint"] == 1.0 and other["numbers_unmatched_log"] > 1.0
    neg = feats("The union accepted the offer.", "The union did not accept the offer.")
    assert neg["negation_mismatch"] == 1.0 and neg["first_token_same"] == 1.0 and neg["last_token_same"] == 1.0
    assert feats("The union didn't accept the offer.", "The union never accepted the offer.")["negation_mismatch"] == 0.0
