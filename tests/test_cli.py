"""The CLI as a user runs it: every command works, errors are one line with exit code 1,
and every command is documented in the README with an example in its help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import CORPUS
from typer.testing import CliRunner

from wiretrace.app.cli import app

runner = CliRunner()
README = CORPUS.parents[1] / "README.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli")
    res = runner.invoke(app, ["run", str(CORPUS), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "stories" in res.output and (out / "report.json").exists() and (out / "index.html").exists()
    # relations are told by their names, never as enum reprs ("<Relation.DUPLICATE: ...>")
    assert "'duplicate': 3" in res.output and "Relation." not in res.output, res.output
    return out


def test_run_json_summary_and_incremental(demo: Path) -> None:
    res = runner.invoke(app, ["run", str(CORPUS), "--out", str(demo), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["new"] == 0 and summary["unchanged"] == 20 and summary["documents"] == 20


def test_run_exports_the_story_browser(demo: Path) -> None:
    """`run` writes the browser as static files: the story list links to a page per several-document
    story (a single document's story is its document), and every page a story page links to exists;
    index.html links into the browser."""
    import re

    site = demo / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    report = json.loads((demo / "report.json").read_text(encoding="utf-8"))
    story_links = set(re.findall(r'href="(story-[^"]+\.html)"', index))
    assert len(story_links) == sum(1 for s in report["stories"] if len(s["documents"]) > 1) > 1
    for link in story_links:
        page = (site / link).read_text(encoding="utf-8")
        for target in re.findall(r'href="((?:doc|pair)\.html)#', page):
            assert (site / target).is_file(), f"{link} links to missing {target}"
    assert (site / "static").is_dir() and (site / "search.html").is_file()
    assert len(list((site / "data" / "docs").glob("*.js"))) >= 1
    overview = (demo / "index.html").read_text(encoding="utf-8")
    assert 'href="site/index.html"' in overview
    for link in re.findall(r'href="site/(story-[^"#]+\.html)"', overview):
        assert (site / link).is_file()


def test_run_with_text(tmp_path: Path) -> None:
    src = next(CORPUS.glob("recall_dup_*.txt"))
    res = runner.invoke(app, ["run", str(src), "--out", str(tmp_path), "--with-text", "-q"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["documents"][0]
    assert doc["text"] == src.read_text(encoding="utf-8")


def test_compare_prints_relation_and_passages() -> None:
    a = CORPUS / "portstrike_origin_meridian.txt"
    b = CORPUS / "portstrike_spin_dailyglimpse.txt"
    res = runner.invoke(app, ["compare", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "paraphrase" in res.output and "#1" in res.output
    res = runner.invoke(app, ["compare", str(a), str(b), "--json"])
    pair = json.loads(res.stdout)
    assert pair["relation"] == "paraphrase" and pair["passages"][0]["kind"] == "paraphrase"


def test_compare_of_unrelated_texts_says_unrelated_and_reports_no_relation() -> None:
    a = "The harbour board voted on Monday to raise pilotage fees for the first time in a decade, citing costs."
    b = "A recipe for plum cake: butter, flour, sugar and plums, baked for an hour in a slow oven."
    res = runner.invoke(app, ["compare", "--text", a, b])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("unrelated  direction none")
    pair = json.loads(runner.invoke(app, ["compare", "--text", a, b, "--json"]).stdout)
    assert pair["relation"] is None and pair["direction"] == "none" and pair["passages"] == []


def test_explain_and_stories(demo: Path) -> None:
    res = runner.invoke(app, ["explain", "portstrike_appeal_baytimes", "--store", str(demo)])
    assert res.exit_code == 0, res.output
    assert "appeal" in res.output and "body" in res.output
    res = runner.invoke(app, ["stories", "--store", str(demo), "--json"])
    stories = json.loads(res.stdout)
    assert max(len(s["documents"]) for s in stories) == 7


def test_errors_are_one_line(demo: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["explain", "no-such-doc", "--store", str(demo)])
    assert res.exit_code == 1 and "no-such-doc" in res.output and "Traceback" not in res.output
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    res = runner.invoke(app, ["run", str(empty), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "empty" in res.output


def test_every_command_documented() -> None:
    readme = README.read_text(encoding="utf-8")
    for cmd in app.registered_commands:
        name = cmd.name or ""
        assert f"wiretrace {name}" in readme, f"README does not document `wiretrace {name}`"
        assert "Example:" in (cmd.callback.__doc__ or ""), f"`{name}` help has no example"


def test_trace_finds_where_a_paragraph_came_from(demo: Path) -> None:
    origin = (CORPUS / "flood_origin_meridian.txt").read_text(encoding="utf-8")
    paragraph = next(line for line in origin.splitlines() if line.startswith("TOLLBRIDGE"))
    res = runner.invoke(app, ["trace", paragraph, "--store", str(demo), "--json"])
    assert res.exit_code == 0, res.output
    matches = json.loads(res.stdout)
    assert matches[0]["origin"] == "flood_origin_meridian"
    assert matches[0]["pair"]["relation"] == "contains" and matches[0]["explained"] > 0.9
    assert any(m["document"] == "flood_origin_meridian" for m in matches)
    res = runner.invoke(app, ["trace", "A recipe for plum cake with butter and flour.", "--store", str(demo)])
    assert res.exit_code == 0


def test_serve_without_the_extra_names_it(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the serve extra, `serve` says which extra to install, in one line, with exit code 1."""
    import sys

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # what an install without the extra looks like to import
    res = runner.invoke(app, ["serve", "--store", str(demo)])
    assert res.exit_code == 1
    assert "pip install 'wiretrace[serve]'" in res.output and "uvicorn" in res.output
    assert "Traceback" not in res.output


def test_article_text_is_printed_literally_never_as_markup(tmp_path: Path) -> None:
    """Square brackets in a page are data: the CLI prints them as they are (rich would read
    "[/red]" as a closing tag and fail)."""
    page = tmp_path / "brackets.txt"
    headline = "[/red] Harbour [bold]board[/bold] votes"
    body = ("The harbour board voted on Tuesday to widen the northern channel [1], a plan debated for "
            "a decade. Dredging starts in spring and ends before the autumn storms, the board said.")
    page.write_text(f"{headline}\n\n{body}\n", encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(page), "--out", str(out), "-v"])
    assert res.exit_code == 0, res.output
    assert "[/red] Harbour [bold]board[/bold]" in res.output.replace("\n", "")
    res = runner.invoke(app, ["explain", "brackets", "--store", str(out)])
    assert res.exit_code == 0, res.output
    assert "channel [1]" in res.output
    res = runner.invoke(app, ["explain", "brackets", "--store", str(out), "--json"])
    segs = json.loads(res.stdout)["segments"]
    assert all(a["end"] <= b["start"] for a, b in zip(segs, segs[1:], strict=False))  # in order, no overlap
    assert any(s["kind"] == "body" and "channel [1]" in s["text"] for s in segs)
    res = runner.invoke(app, ["stories", "--store", str(out)])
    assert res.exit_code == 0 and "[bold]board" in res.output
