"""Inputs, paths and stores as a careless user gives them (issue 17): nothing silently lost, nothing
silently invented. Real files, real folders, real processes (``tests.procs``: permissions hold even
under root); a FIFO made with os.mkfifo, a read-only store made with chmod, a lock holder killed with -9."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import CORPUS
from tests.procs import permissions_hold, wiretrace
from typer.testing import CliRunner

import wiretrace as wt
from wiretrace.app.cli import app
from wiretrace.engine.store import STORE_FILE, Store
from wiretrace.errors import NoInputError
from wiretrace.ingest import read_inputs
from wiretrace.model import Document

runner = CliRunner()
LEX = ["--lexical-only"]


_TOPICS = {
    "harbour": ("Council backs the harbour channel plan", "The council voted on Tuesday to widen the harbour "
                "channel near the northern pier, a plan debated for a decade. Dredging starts in spring."),
    "ferry": ("Ferry operator adds a winter timetable", "The island ferry will sail twice a day through January, "
              "its operator said, after complaints from commuters about cancelled crossings."),
    "bridge": ("Old rail bridge to close for repairs", "Engineers found corroded girders under the old rail "
               "bridge, and the county will close it for eight weeks from Monday, officials said."),
    "tunnel": ("Tunnel tolls rise in the new year", "Drivers using the river tunnel will pay forty cents more "
               "from January, the transport authority announced, citing maintenance costs."),
    "siteA": ("Orchard growers count frost damage", "Apple growers in the valley lost a third of their blossom "
              "to a late frost, the growers' association estimated on Friday."),
    "siteB": ("Library extends its opening hours", "The central library will open until nine on weekdays, the "
              "city said, after a volunteer programme found enough staff for the evenings."),
}


def story(n: int, topic: str = "harbour") -> str:
    """A short news text on ``topic``, told apart by ``n`` (generated, not copied from any corpus)."""
    title, body = _TOPICS[topic]
    return f"{title} ({n})\n\n{body} It was item {n} on the agenda, reporter {n} wrote.\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_json(args: list[str]) -> dict:
    res = runner.invoke(app, ["run", *args, *LEX, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def doc_ids(out: Path) -> list[str]:
    return sorted(d["id"] for d in report(out)["documents"])


# --- 1. a run never reads its own output -----------------------------------------------------------
def test_the_output_folder_inside_the_input_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    for n in range(3):
        write(data / f"page{n}.txt", story(n, ["harbour", "ferry", "bridge"][n]))
    out = data / "out"
    for _ in range(2):  # the second run finds out/index.html, out/site/*.html and the store in its input
        res = runner.invoke(app, ["run", str(data), "--out", str(out), *LEX])
        assert res.exit_code == 0, res.output
    assert doc_ids(out) == ["page0", "page1", "page2"]
    assert any(s["path"] == str(out) and "wiretrace output folder" in s["reason"] for s in report(out)["skipped"])
    # the default --out under the current folder, and a copy of an output folder elsewhere in the input
    monkeypatch.chdir(data)
    shutil.copytree(out, data / "old-results")
    (data / "old-results" / STORE_FILE).unlink()  # the report.json and site/ alone still mark it
    for _ in range(2):
        res = runner.invoke(app, ["run", ".", *LEX, "-q"])
        assert res.exit_code == 0, res.output
    assert doc_ids(data / "out") == ["page0", "page1", "page2"]


# --- 1b. forget, and --prune ------------------------------------------------------------------------
def test_forget_removes_documents_with_their_pairs_and_restories(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data / "orig.txt", story(1))
    write(data / "copy.txt", story(1))
    write(data / "other.txt", story(7, "ferry"))
    out = tmp_path / "out"
    run_json([str(data), "--out", str(out)])
    before = report(out)
    assert any({p["a"], p["b"]} == {"orig", "copy"} for p in before["pairs"])
    res = runner.invoke(app, ["forget", "copy", "--store", str(out), *LEX])
    assert res.exit_code == 0, res.output
    after = report(out)
    assert sorted(d["id"] for d in after["documents"]) == ["orig", "other"]
    assert after["pairs"] == []
    members = sorted(m for s in after["stories"] for m in s["documents"])
    assert members == ["orig", "other"]
    store = Store(out, readonly=True)
    try:
        assert store.pairs_touching(["copy"]) == [] and store.document("copy") is None
        assert "copy" not in store.assignments() and store.counts() == (2, 2, 0)
    finally:
        store.close()


def test_prune_forgets_deleted_files_and_removed_lines(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data / "a.txt", story(1))
    write(data / "b.txt", story(2, "ferry"))
    feed = write(data / "feed.jsonl", "\n".join(json.dumps({"id": f"j{n}", "text": story(10 + n, "bridge")})
                                                  for n in range(3)) + "\n")
    out = tmp_path / "out"
    run_json([str(data), "--out", str(out)])
    (data / "b.txt").unlink()
    feed.write_text(json.dumps({"id": "j0", "text": story(10, "bridge")}) + "\n", encoding="utf-8")
    summary = run_json([str(data), "--out", str(out)])  # without --prune nothing is forgotten
    assert summary["pruned"] == 0 and doc_ids(out) == ["a", "b", "j0", "j1", "j2"]
    summary = run_json([str(data), "--out", str(out), "--prune"])
    assert summary["pruned"] == 3 and doc_ids(out) == ["a", "j0"]
    res = runner.invoke(app, ["forget", "nope", "--store", str(out), *LEX])
    assert res.exit_code == 1 and "nope" in res.output and doc_ids(out) == ["a", "j0"]


# --- 2, 3. ids unique by path, stable; one file under two spellings is one input ---------------------
def _site(root: Path) -> None:
    for site in ("siteA", "siteB"):
        write(root / site / "world" / "index.html",
              f"<html><body><h1>{site} world</h1><p>{story(len(site) + ord(site[-1]), site)}</p></body></html>")
    write(root / "good00.txt", story(1))
    write(root / "sub" / "good00.txt", story(2, "ferry"))
    write(root / "unique.txt", story(3, "bridge"))


def test_ids_are_unique_by_relative_path_and_keep_the_stem_where_it_is_unique(tmp_path: Path) -> None:
    _site(tmp_path / "crawl")
    want = ["good00", "siteA/world/index", "siteB/world/index", "sub/good00", "unique"]
    ids = sorted(i.id for i in read_inputs([tmp_path / "crawl"]) if isinstance(i, Document))
    assert ids == want
    # the order of the inputs does not change them
    parts = [tmp_path / "crawl" / p for p in ("unique.txt", "sub", "siteB", "good00.txt", "siteA")]
    again = {i.id for i in read_inputs(parts) if isinstance(i, Document)}
    assert again == {"good00", "siteA/world/index", "siteB/world/index", "sub/good00", "unique"}
    assert again == {i.id for i in read_inputs(parts[::-1]) if isinstance(i, Document)}
    out = tmp_path / "out"
    run_json([str(tmp_path / "crawl"), "--out", str(out)])
    assert doc_ids(out) == want
    # a later run with a new file of a known stem: stored files keep their ids, the new one takes its path
    write(tmp_path / "crawl" / "more" / "unique.txt", story(4, "tunnel"))
    summary = run_json([str(tmp_path / "crawl"), "--out", str(out)])
    assert summary["new"] == 1 and summary["unchanged"] == 5 and report(out)["skipped"] == []
    assert doc_ids(out) == sorted([*want, "more/unique"])


def test_the_same_file_by_relative_absolute_and_linked_paths_is_one_input(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    for n in range(4):
        write(data / f"p{n}.txt", story(n, ["harbour", "ferry", "bridge", "tunnel"][n]))
    (tmp_path / "link").symlink_to(data)
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    run_json(["data", "--out", str(out)])
    for spelling in (str(data), "link", "./data/../data", str(data / "p0.txt")):
        res = runner.invoke(app, ["run", spelling, "--out", str(out), *LEX, "--json"])
        assert res.exit_code == 0, res.output
        summary = json.loads(res.stdout.strip().splitlines()[-1])
        assert summary["new"] == 0 and summary["skipped_now"] == 0, (spelling, res.output)
    assert doc_ids(out) == ["p0", "p1", "p2", "p3"] and report(out)["skipped"] == []


# --- 4. nothing readable: the reasons, and no suggestion of types that were given ---------------------
def test_when_nothing_can_be_read_the_reasons_are_shown(tmp_path: Path) -> None:
    write(tmp_path / "empty.txt", "")
    write(tmp_path / "blank.html", "   \n")
    res = runner.invoke(app, ["run", str(tmp_path / "empty.txt"), str(tmp_path / "blank.html"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    text = " ".join(res.output.split())
    assert f"{tmp_path / 'empty.txt'}: empty file" in text and f"{tmp_path / 'blank.html'}: empty" in text
    assert "give .txt" not in text
    write(tmp_path / "notes.md", "words")
    res = runner.invoke(app, ["run", str(tmp_path / "notes.md"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "unsupported file type '.md'" in res.output and "give .txt" in res.output


# --- 5. inside a folder: every entry read or named; one bad file never aborts the run -----------------
def test_odd_entries_in_a_folder_are_named_and_the_run_goes_on(tmp_path: Path) -> None:
    if not permissions_hold(tmp_path):
        pytest.skip("cannot drop the permission-bypassing capabilities here: an unreadable folder cannot be made")
    data = tmp_path / "data"
    write(data / "good.txt", story(1))
    write(data / "locked" / "inside.txt", story(2, "ferry"))
    (data / "locked").chmod(0)
    (data / "dangling.txt").symlink_to(data / "gone.txt")
    (data / "loop").symlink_to(data)
    (data / "self.txt").symlink_to(data / "self.txt")
    os.mkfifo(data / "pipe.txt")
    with gzip.open(data / "feed.jsonl.gz", "wt", encoding="utf-8") as gz:
        for n in range(2):
            gz.write(json.dumps({"id": f"gz{n}", "text": story(20 + n, "bridge")}) + "\n")
    write(data / "page.html.gz", "x")
    unreadable = write(tmp_path / "unreadable.txt", story(5, "tunnel"))
    unreadable.chmod(0)
    out = tmp_path / "out"
    try:
        res = wiretrace(["run", str(data), str(unreadable), "--out", str(out), *LEX, "--json"], timeout=120)
    finally:
        (data / "locked").chmod(0o755)
    assert res.returncode == 0, res.stderr
    rep = report(out)
    assert sorted(d["id"] for d in rep["documents"]) == ["good", "gz0", "gz1"]
    reasons = {s["path"]: s["reason"] for s in rep["skipped"]}
    assert reasons[str(data / "locked")].startswith("cannot read the folder: Permission denied")
    assert reasons[str(data / "dangling.txt")].startswith("dangling symbolic link")
    assert reasons[str(data / "loop")].startswith("symbolic link loop")
    assert reasons[str(data / "self.txt")].startswith("symbolic link loop")
    assert reasons[str(data / "pipe.txt")].startswith("a named pipe (FIFO)")
    assert reasons[str(data / "page.html.gz")].startswith("unsupported file type '.html.gz'")
    assert reasons[str(unreadable)].startswith("cannot read the file: Permission denied")
    for path in reasons:
        assert f"skipped {path}: " in res.stderr


# --- 6. a file fixed since it was skipped is no longer listed as skipped ------------------------------
def test_a_fixed_file_loses_its_old_skip(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data / "good.txt", story(1))
    fixed = write(data / "late.txt", "")
    write(data / "feed.jsonl", '{"id": "j1", "text": ' + json.dumps(story(3, "bridge")) + "}\nnot json\n")
    out = tmp_path / "out"
    run_json([str(data), "--out", str(out)])
    assert {s["path"] for s in report(out)["skipped"]} == {str(fixed), f"{data / 'feed.jsonl'}:2"}
    fixed.write_text(story(2, "ferry"), encoding="utf-8")
    write(data / "feed.jsonl", '{"id": "j1", "text": ' + json.dumps(story(3, "bridge")) + "}\n")
    run_json([str(data), "--out", str(out)])
    assert report(out)["skipped"] == [] and doc_ids(out) == ["good", "j1", "late"]


# --- 7. query commands never invent a store, read read-only ones, and tell a missing file -------------
@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small")
    for n in range(3):
        write(root / "data" / f"s{n}.txt", story(n, ["harbour", "ferry", "bridge"][n]))
    write(root / "data" / "copy.txt", story(0))
    res = runner.invoke(app, ["run", str(root / "data"), "--out", str(root / "out"), *LEX, "-q", "--no-html"])
    assert res.exit_code == 0, res.output
    return root / "out"


@pytest.mark.parametrize("command", [["stories"], ["explain", "s0"], ["trace", "The council voted on the harbour"],
                                     ["serve", "--port", "1"]])
def test_query_commands_refuse_a_folder_without_a_store_and_create_nothing(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "ouy"
    res = runner.invoke(app, [*command, "--store", str(typo)])
    assert res.exit_code == 1 and str(typo) in res.output and "no wiretrace store" in res.output
    assert not typo.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(app, [*command, "--store", str(empty)])
    assert res.exit_code == 1 and str(empty) in res.output and os.listdir(empty) == []
    res = runner.invoke(app, [*command, "--store", ""])
    assert res.exit_code != 0 and "--store is empty" in res.output


def test_a_read_only_copy_of_a_store_is_read(small_store: Path, tmp_path: Path) -> None:
    if not permissions_hold(tmp_path):
        pytest.skip("cannot drop the permission-bypassing capabilities here: a read-only store cannot be made")
    copy = tmp_path / "ro"
    shutil.copytree(small_store, copy)
    subprocess.run(["chmod", "-R", "a-w", str(copy)], check=True)
    before = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in copy.iterdir())
    try:
        res = wiretrace(["stories", "--store", str(copy), "--json"])
        assert res.returncode == 0, res.stderr
        assert sorted(m for s in json.loads(res.stdout) for m in s["documents"]) == ["copy", "s0", "s1", "s2"]
        res = wiretrace(["explain", "s1", "--store", str(copy), "--json"])
        assert res.returncode == 0 and json.loads(res.stdout)["document"] == "s1", res.stderr
        res = wiretrace(["trace", story(2, "bridge"), "--store", str(copy), "--json"])
        assert res.returncode == 0 and json.loads(res.stdout)[0]["document"] == "s2", res.stderr
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(copy)], check=True)
    assert sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in copy.iterdir()) == before


def test_trace_of_a_missing_file_name_says_so(small_store: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["trace", str(tmp_path / "missing.txt"), "--store", str(small_store)])
    assert res.exit_code == 1 and "missing.txt: no such file" in res.output
    res = runner.invoke(app, ["trace", "missing.txt", "--text", "--store", str(small_store), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == []
    page = write(tmp_path / "found.txt", story(1, "ferry"))
    res = runner.invoke(app, ["trace", str(page), "--store", str(small_store), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)[0]["document"] == "s1"


# --- 8. the smaller ones -------------------------------------------------------------------------------
def test_an_empty_input_path_never_reads_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "here.txt", story(1))
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["run", "", "--out", str(tmp_path / "o"), *LEX])
    assert res.exit_code == 1 and "empty path" in res.output
    res = runner.invoke(app, ["run", "here.txt", "--out", "", *LEX])
    assert res.exit_code == 1 and "--out is empty" in res.output and not (tmp_path / STORE_FILE).exists()


def test_control_characters_in_names_are_printed_escaped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data / "evil\nskipped forged.txt: fake\x1b[31m.txt", "")  # empty: skipped, so its name is printed
    write(data / "fine.txt", story(1))
    res = wiretrace(["run", str(data), "--out", str(tmp_path / "out"), *LEX, "-v"])
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stderr + res.stdout
    lines = [line for line in res.stderr.splitlines() if line.startswith("skipped")]
    assert len(lines) == 1 and "evil\\nskipped forged.txt: fake\\x1b[31m.txt: empty file" in lines[0]
    # an id from a file name carries no control character (it is printed and put in URLs)
    write(data / "tab\there.txt", story(2, "ferry"))
    assert "tab_here" in {i.id for i in read_inputs([data]) if isinstance(i, Document)}


def test_a_report_json_folder_is_a_clear_error_before_any_work(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", story(1))
    out = tmp_path / "out"
    (out / "report.json").mkdir(parents=True)
    res = wiretrace(["run", str(tmp_path / "a.txt"), "--out", str(out), *LEX])
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{out / 'report.json'} is a folder" in " ".join(res.stderr.split())
    assert not (out / STORE_FILE).exists()


def test_store_errors_name_the_real_cause(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", story(1))
    a_file = write(tmp_path / "taken", "x")
    res = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--out", str(a_file), *LEX])
    assert res.exit_code == 1 and "is a file, not a folder" in res.output and "writable" not in res.output
    broken = tmp_path / "broken"
    write(broken / STORE_FILE, "this is no database " * 100)
    res = runner.invoke(app, ["stories", "--store", str(broken)])
    assert res.exit_code == 1 and "not a wiretrace store" in " ".join(res.output.split())
    assert "writable" not in res.output


def test_compare_says_what_is_wrong_with_each_side(tmp_path: Path) -> None:
    a = CORPUS / "portstrike_origin_meridian.txt"
    res = runner.invoke(app, ["compare", str(a), str(tmp_path)])
    assert res.exit_code == 1 and "is a folder; give one file" in res.output
    os.mkfifo(tmp_path / "pipe.txt")
    res = runner.invoke(app, ["compare", str(a), str(tmp_path / "pipe.txt")])
    assert res.exit_code == 1 and "named pipe" in res.output
    res = runner.invoke(app, ["compare", str(a), str(CORPUS / "wirefeed.jsonl")])
    assert res.exit_code == 1 and "documents" in res.output and "--b-id" in res.output
    first = next(i for i in read_inputs([CORPUS / "wirefeed.jsonl"]) if isinstance(i, Document))
    res = runner.invoke(app, ["compare", str(a), str(CORPUS / "wirefeed.jsonl"), "--b-id", first.id, "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["compare", "--text", "", ""])
    assert res.exit_code == 1 and "empty" in res.output
    res = runner.invoke(app, ["compare", "--text", "some words here", "   "])
    assert res.exit_code == 1 and "b is empty" in res.output


def test_every_help_example_names_files_that_exist() -> None:
    root = CORPUS.parents[1]
    for cmd in app.registered_commands:
        example = (cmd.callback.__doc__ or "").split("Example:")[-1]
        for word in example.split():
            if word.startswith("examples/"):
                assert (root / word).exists(), f"`{cmd.name}` help names {word}, which does not exist"


def test_the_python_api_takes_one_path_as_a_string(tmp_path: Path) -> None:
    from wiretrace.align import AlignConfig

    page = write(tmp_path / "a.txt", story(1))
    rep = wt.run(str(page), wt.RunConfig(align=AlignConfig(semantic=False)), out=tmp_path / "out")
    assert [d.id for d in rep.documents] == ["a"] and rep.skipped == []
    rep = wt.run(page, wt.RunConfig(align=AlignConfig(semantic=False)), out=tmp_path / "out2")
    assert [d.id for d in rep.documents] == ["a"]
    empty = write(tmp_path / "empty.txt", "")
    with pytest.raises(NoInputError) as caught:  # the error names the path, not its characters
        wt.run(str(empty), wt.RunConfig(align=AlignConfig(semantic=False)), out=tmp_path / "out3")
    assert f"no document could be read from {empty} (1 input(s) skipped)" in str(caught.value)


def test_a_second_run_on_one_out_stops_and_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", story(1))
    out = tmp_path / "out"
    holder = subprocess.Popen(  # a real process holding the lock, as a run in progress does
        [sys.executable, "-c", "import sys, time\nfrom wiretrace.engine.pipeline import out_lock\n"
         "with out_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(600)\n", str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        res = wiretrace(["run", str(tmp_path / "a.txt"), "--out", str(out), *LEX, "--no-html"])
        assert res.returncode == 1
        assert f"another wiretrace process (pid {holder.pid}) is writing to {out}" in " ".join(res.stderr.split())
        assert not (out / STORE_FILE).exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    res = wiretrace(["run", str(tmp_path / "a.txt"), "--out", str(out), *LEX, "--no-html", "--json"])
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1])["documents"] == 1
