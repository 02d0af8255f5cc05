"""The pipeline over the store: incremental runs, resumed runs, bad inputs, order independence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import CORPUS

import wiretrace
from wiretrace.engine.pipeline import RunConfig, Stats
from wiretrace.errors import NoInputError
from wiretrace.report import report_to_json

STORY = [
    "HARLEN (Gull Wire) — The town council of Harlen voted on Tuesday to close the old swing bridge to cars after "
    "inspectors found corrosion in two of its main girders.",
    "Engineers said the bridge, built in 1911, could still carry pedestrians and bicycles while a repair plan was drawn up, "
    "but that the weight of a loaded van could no longer be ruled safe.",
    "Mayor Odile Brant said the closure would add twenty minutes to the morning drive for hundreds of commuters and "
    "promised a shuttle bus from the ferry landing within a week.",
    "The council set aside 4.2 million crowns for the repairs, which are expected to take until the end of the year.",
]


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def _summary(out: Path, paths: list[Path], **kw: object) -> tuple[dict, Stats]:
    stats = Stats()
    rep = wiretrace.run(paths, out=out, stats=stats, **kw)  # type: ignore[arg-type]
    return report_to_json(rep), stats


def test_incremental_run_adds_only_new_documents(tmp_path: Path) -> None:
    inp, out = tmp_path / "in", tmp_path / "out"
    a = _write(inp, "origin.txt", "Swing bridge closed\n\n" + "\n\n".join(STORY))
    first, s1 = _summary(out, [a])
    assert s1.new == 1 and first["summary"]["documents"] == 1
    b = _write(tmp_path / "in2", "copy.txt", "Bridge shut to cars\n\nSubscribe to our newsletter today.\n\n" + "\n\n".join(STORY[1:]))
    second, s2 = _summary(out, [a, b])
    assert s2.new == 1 and s2.unchanged == 1
    assert second["summary"]["documents"] == 2
    # The copy is the origin's text less its first paragraph, under another title and an appeal (both
    # removed): the origin's page holds the copy's whole body plus a paragraph of its own.
    assert [(p["a"], p["b"], p["relation"]) for p in second["pairs"]] == [("origin", "copy", "contains")]
    assert second["pairs"][0]["scores"]["b_covered"] == 1.0
    story = next(s for s in second["stories"] if len(s["documents"]) == 2)
    assert story["origin"] == "origin"


def test_killed_run_resumes_without_redoing_work(tmp_path: Path) -> None:
    out = tmp_path / "out"

    class Kill(Exception):
        pass

    def die_in_relate(stage: str, done: int, total: int) -> None:
        if stage == "relate" and done >= 3:
            raise Kill

    with pytest.raises(Kill):
        wiretrace.run([CORPUS], RunConfig(batch=2), out=out, progress=die_in_relate)
    resumed, stats = _summary(out, [CORPUS])
    assert stats.new == 0 and stats.unchanged == resumed["summary"]["documents"]
    fresh, fresh_stats = _summary(tmp_path / "fresh", [CORPUS])
    # Pairs finished before the kill are not aligned again, and nothing stored was lost.
    assert stats.aligned < fresh_stats.aligned
    assert resumed["pairs"] == fresh["pairs"]
    assert [s["documents"] for s in resumed["stories"]] == [s["documents"] for s in fresh["stories"]]


def test_bad_inputs_are_skipped_with_reasons(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    good = _write(inp, "good.txt", "Swing bridge closed\n\n" + "\n\n".join(STORY))
    _write(inp, "empty.txt", "")
    (inp / "binary.html").write_bytes(b"\x00\x01\x02\x03" * 100)
    _write(inp, "broken.jsonl", '{"id": "j1", "text": "fine text here"}\n{not json}\n')
    (inp / "bad.warc.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    rep, stats = _summary(tmp_path / "out", [inp])
    reasons = {s["path"]: s["reason"] for s in rep["skipped"]}
    assert any("empty.txt" in p and "empty" in r for p, r in reasons.items())
    assert any("binary.html" in p and "binary" in r for p, r in reasons.items())
    assert any("broken.jsonl:2" in p and "JSON" in r for p, r in reasons.items())
    assert any("bad.warc.gz" in p for p in reasons)
    assert {d["id"] for d in rep["documents"]} == {"good", "j1"}
    assert good.exists()


def test_nothing_readable_is_an_error(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    _write(inp, "empty.txt", "   \n")
    with pytest.raises(NoInputError):
        wiretrace.run([inp], out=tmp_path / "out")


def test_same_result_in_any_input_order(tmp_path: Path) -> None:
    files = sorted(p for p in CORPUS.iterdir() if p.suffix == ".txt")
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    # Other names sort in another order; ids stay the same because they come from file names in
    # per-story folders.
    for i, p in enumerate(reversed(files)):
        sub = shuffled / f"{i:02d}"
        sub.mkdir()
        shutil.copy(p, sub / p.name)
    a, _ = _summary(tmp_path / "a", files)
    b, _ = _summary(tmp_path / "b", [shuffled])
    assert [(s["id"], s["origin"], s["documents"]) for s in a["stories"]] == [
        (s["id"], s["origin"], s["documents"]) for s in b["stories"]
    ]
    strip = lambda ps: [(p["a"], p["b"], p["relation"], p["direction"]) for p in ps]  # noqa: E731
    assert strip(a["pairs"]) == strip(b["pairs"])


def test_compare_api() -> None:
    text = "\n\n".join(STORY)
    spun = (
        "On Tuesday, Harlen's town council decided to shut the aging swing bridge to motor traffic once inspectors "
        "discovered rust in two of the principal girders."
    )
    p = wiretrace.compare(text, text)
    assert p.relation == "duplicate" and p.scores.a_covered == 1.0
    q = wiretrace.compare(STORY[0], spun)
    assert q.relation == "paraphrase" and [x.kind for x in q.passages] == ["paraphrase"]
    r = wiretrace.compare(text, "A recipe for plum cake: butter, flour, sugar and plums, baked for an hour.")
    assert r.relation is None and r.pair is None and r.passages == ()


def test_identical_bodies_take_the_fast_path_with_the_aligners_result(tmp_path: Path) -> None:
    """Pairs with the same body are related without seed-and-extend, and the alignment is the one
    seed-and-extend finds (same passage, shares and scores)."""
    from wiretrace.align import AlignConfig, align, identical_alignment
    from wiretrace.engine.store import Store

    out = tmp_path / "out"
    rep, stats = _summary(out, [CORPUS])
    dups = [p for p in rep["pairs"] if p["relation"] == "duplicate"]
    assert dups and stats.fast_duplicates >= len(dups)
    store = Store(out)
    try:
        docs, cl = store.documents(), store.cleaned()
    finally:
        store.close()
    cfg = AlignConfig()
    for p in dups:
        a, b = docs[p["a"]], docs[p["b"]]
        fast = identical_alignment(a.text, cl[a.id].body, b.text, cl[b.id].body, cfg)
        assert fast is not None
        assert fast == align(a.text, cl[a.id].body, b.text, cl[b.id].body, cfg, None, semantic=False)
    # One word changed: not the same words, so no fast path.
    a = docs[dups[0]["a"]]
    s, e = cl[a.id].body[0]
    first = a.text[s:e].split()[0]
    changed = a.text[:s] + a.text[s:e].replace(first, first + "x", 1) + a.text[e:]
    assert identical_alignment(a.text, cl[a.id].body, changed, cl[a.id].body, cfg) is None


def test_one_short_notice_twice_is_a_duplicate_whatever_cleaning_left(tmp_path: Path) -> None:
    """A one-line-per-fact notice whose lines recur across the corpus (other companies' notices of one
    mould): corpus boilerplate cuts the body of each copy to a few words, too few to align. Two copies
    of one text are still duplicates, aligned whole; notices of one mould with other figures are not."""
    from wiretrace.align import AlignConfig
    from wiretrace.engine.pipeline import run

    amounts = ["five", "six", "seven", "eight", "nine", "ten"]
    pays = ["Pay Dec 1", "Pay Dec 8", "Pay Dec 15"]
    records = []
    for i in range(18):
        text = (f"Qtly div {amounts[i % 6]} cts vs {amounts[i % 6]} cts prior\n    {pays[i % 3]}\n"
                f"    Record Nov {i + 2}, the board said.\n Gull Wire\n")
        records.append({"id": f"n{i:02d}", "title": f"HARBOUR COMPANY {i} SETS QUARTERLY", "text": text})
    copy = dict(records[0], id="n00-copy")
    path = tmp_path / "notices.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records + [copy]), encoding="utf-8")
    report = run(path, RunConfig(align=AlignConfig(semantic=False), workers=1), out=tmp_path / "out")
    assert len(report.cleaned["n00"].body) <= 1, report.cleaned["n00"]  # cleaning left at most its last line
    rel = {frozenset((p.a, p.b)): p for p in report.pairs}
    pair = rel[frozenset(("n00", "n00-copy"))]
    assert pair.relation == "duplicate" and any("identical texts" in r for r in pair.reasons), pair
    assert pair.passages and pair.passages[0].a[1] - pair.passages[0].a[0] >= 40  # the whole notice aligned
    others = [p for k, p in rel.items() if "n00-copy" not in k and p.relation in ("duplicate", "near_duplicate")]
    assert not others, others
