"""The ``wiretrace`` command. Each command parses, calls the library, and maps wiretrace's named
errors to a one-line message and exit code 1. Nothing else happens here."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from wiretrace.errors import NoInputError, NotFoundError, WiretraceError, printable
from wiretrace.model import BODY, PassageKind

app = typer.Typer(
    help="Turn scraped news pages into stories: clean, relate, cluster, trace.\n\n"
    "Example: wiretrace run examples/corpus --out out/demo",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)
out = Console()


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except WiretraceError as e:
        # the message's own lines stay lines; a control character inside a name is shown escaped
        message = str(e) if isinstance(e, NoInputError) else printable(str(e))
        err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _fail(message: str) -> typer.Exit:
    """Print ``error: MESSAGE`` (control characters escaped) and give the exit to raise (code 1)."""
    err.print(f"[red]error:[/red] {escape(printable(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _folder(value: str, option: str) -> Path:
    if not value.strip():
        raise _fail(f"{option} is empty; give a folder (\".\" for this one)")
    return Path(value)


def _store(value: str):  # type: ignore[no-untyped-def]
    """The store under ``--store``, opened read-only; an error (exit 1) when there is none."""
    from wiretrace.engine.store import Store

    folder = _folder(value, "--store")
    with _errors():
        return Store(folder, readonly=True)


@contextmanager
def _progress(quiet: bool) -> Iterator:
    if quiet:
        yield lambda stage, done, total: None
        return
    with Progress(
        TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield update


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class Precision(StrEnum):
    auto = "auto"
    float32 = "float32"
    bf16 = "bf16"


@app.command("run")
def run_cli(
    inputs: Annotated[list[str], typer.Argument(help="Files or folders: .txt .html .htm .jsonl .jsonl.gz .warc .warc.gz")],
    out_arg: Annotated[str, typer.Option("--out", "-o", help="Output folder: store, report.json, index.html, site/")] = "out",
    with_text: Annotated[bool, typer.Option("--with-text", help="Put each document's raw text in report.json")] = False,
    no_html: Annotated[bool, typer.Option("--no-html", help="Skip index.html and the static story browser (site/)")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or table")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every skipped input and story")] = False,
    lexical_only: Annotated[
        bool, typer.Option("--lexical-only", help="No sentence embeddings: duplicates, containment, verbatim reuse only")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Forget stored documents whose input is gone (file deleted, JSONL line removed)")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=0, help="Worker processes of the local engine: 0 (default) for every core, 1 for none")
    ] = 0,
    engine: Annotated[
        Engine, typer.Option("--engine", help="local, or spark: the same stages as Spark jobs (needs the spark extra and Java 17); "
                             "writes Parquet tables under --out/tables, reads .parquet too, keeps no store")
    ] = Engine.local,
    precision: Annotated[
        Precision | None, typer.Option("--precision", help="What MiniLM computes in: auto (bf16 where the CPU has it natively, "
                                       "else float32; a store keeps its own), float32 (the same vectors on every machine), bf16 "
                                       "[default: $WIRETRACE_EMBED_PRECISION or auto]")
    ] = None,
) -> None:
    """Run the whole pipeline on INPUTS into the store under --out; add files to the same --out later
    and only the new ones are processed. One run at a time per --out: a second one stops at once with an error.

    Example: wiretrace run examples/corpus --out out/demo
    """
    from wiretrace.align import AlignConfig
    from wiretrace.embed.minilm import PRECISION_ENV
    from wiretrace.engine.pipeline import RunConfig, Stats, run

    out_dir = _folder(out_arg, "--out")
    _check_out(out_dir)
    if precision is not None:  # read by every embedder of the run (its workers and Spark's local ones too)
        os.environ[PRECISION_ENV] = precision.value
    stats = Stats()
    config = RunConfig(align=AlignConfig(semantic=not lexical_only), workers=workers)
    with _errors(), _progress(quiet or as_json) as bar:
        if engine is Engine.spark:
            from wiretrace.engine.spark import run_spark

            report = run_spark(inputs, config, out=out_dir, progress=bar, stats=stats)
        else:
            report = run(inputs, config, out=out_dir, progress=bar, stats=stats, prune=prune)
        # the story browser's pages need the store, which the Spark engine does not keep
        json_path, html_path, site = _write_outputs(report, out_dir, with_text, not no_html, bar,
                                                    site=not no_html and engine is Engine.local)
    from wiretrace.report import report_to_json

    for sk in stats.skipped:
        err.print(f"[yellow]skipped[/yellow] {escape(printable(f'{sk.path}: {sk.reason}'))}", highlight=False,
                  soft_wrap=True)
    summary = report_to_json(report)["summary"]
    if as_json:
        print(json.dumps({**summary, "new": stats.new, "unchanged": stats.unchanged, "pruned": stats.pruned,
                          "skipped_now": len(stats.skipped), "workers": stats.workers, "embedded": stats.embedded, "precision": stats.precision,
                          "redecided": stats.redecided, "report": str(json_path)}))
        return
    if quiet:
        return
    table = Table(title=f"wiretrace: {summary['documents']} documents, {summary['stories']} stories")
    table.add_column("story")
    table.add_column("docs", justify="right")
    table.add_column("origin")
    table.add_column("relations")
    rels = {(p.a, p.b): p.relation for p in report.pairs}
    shown = sorted(report.stories, key=lambda s: (-len(s.documents), s.id))
    for s in shown if verbose else [x for x in shown if len(x.documents) > 1][:30]:
        members = set(s.documents)
        counts: dict[str, int] = {}
        for (a, b), r in rels.items():
            if a in members and b in members:
                counts[r] = counts.get(r, 0) + 1
        table.add_row(escape(printable(s.title[:60])), str(len(s.documents)), escape(printable(s.origin or "-")),
                      ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    out.print(table)
    out.print(
        f"relations: {summary['relations'] or 'none'} | new {stats.new}, unchanged {stats.unchanged}, "
        f"skipped {len(stats.skipped)}" + (f", pruned {stats.pruned}" if stats.pruned else "")
        + (f", {stats.redecided} stored pairs decided again (passages became common)" if stats.redecided else "") + f" | wrote {json_path}" + (f", {html_path}" if html_path else "")
        + (f" and the story browser {site / 'index.html'}" if site else ""),
        highlight=False,
    )
    per_doc = stats.embedded / max(stats.new + stats.recleaned, 1)
    out.print(f"engine: {stats.workers} worker process{'es' if stats.workers != 1 else ''}; sentences embedded "
              f"{stats.embedded:,} ({per_doc:.1f} per new document" + (f", {stats.precision}" if stats.precision else "")
              + ")", highlight=False)


def _check_out(out_dir: Path) -> None:
    """Refuse, before any work, an --out whose outputs cannot be written (a folder named report.json)."""
    for name in ("report.json", "index.html"):
        if (out_dir / name).is_dir():
            raise _fail(f"{out_dir / name} is a folder, so the report cannot be written there; "
                        "remove it or give another --out folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise _fail(f"--out {out_dir} is a file, not a folder; give a folder")


def _write_outputs(report, out_dir: Path, with_text: bool, html: bool, bar,  # type: ignore[no-untyped-def]
                   site: bool | None = None) -> tuple[Path, Path | None, Path | None]:
    """report.json, with ``html`` index.html, and with ``site`` (default: ``html``) the story browser's
    pages under site/."""
    from wiretrace.errors import StoreError
    from wiretrace.report import write_report

    browser = html if site is None else site
    try:
        json_path, html_path = write_report(report, out_dir, with_text=with_text, html=html,
                                            site="site/" if browser else None)
        pages = None
        if browser:  # the story browser's pages, readable without a server
            from wiretrace.app.web import export_site

            pages = out_dir / "site"
            export_site(out_dir, pages, progress=bar, report=report)
    except OSError as e:
        raise StoreError(f"report: cannot write into {out_dir}: {e.strerror or e} ({e.filename}); "
                         "check that the --out folder and its files are writable") from None
    return json_path, html_path, pages


@app.command("forget")
def forget_cli(
    ids: Annotated[list[str], typer.Argument(help="Ids of the documents to remove")],
    store_arg: Annotated[str, typer.Option("--store", help="The --out folder of a run")] = "out",
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="As the runs of this store were made")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars")] = False,
) -> None:
    """Remove documents from a store with their pairs; the stories they were in are built again, and
    report.json (index.html and site/ where they exist) rewritten.

    Example: wiretrace forget portstrike_dup_coastalherald --store out/demo
    """
    from wiretrace.align import AlignConfig
    from wiretrace.engine.pipeline import RunConfig, forget

    folder = _folder(store_arg, "--store")
    config = RunConfig(align=AlignConfig(semantic=not lexical_only))
    with _errors(), _progress(quiet) as bar:
        report = forget(ids, folder, config, progress=bar)
        _write_outputs(report, folder, False, (folder / "index.html").is_file(), bar)
    if not quiet:
        out.print(f"forgot {len(set(ids))} document(s); the store holds {len(report.documents)} documents in "
                  f"{len(report.stories)} stories", highlight=False)


_PATH_LIKE = re.compile(r"^\S+$")
_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")


def _looks_like_path(s: str) -> bool:
    """One token with a folder separator or a file suffix (``notes.txt``, ``data/a``): what a user
    means as a file name. A sentence, or a single word without either, is text."""
    return len(s) < 4096 and bool(_PATH_LIKE.match(s)) and ("/" in s or os.sep in s or bool(_SUFFIX.search(s)))


def _read(path_or_text: str, literal: bool, side: str = "", doc_id: str | None = None) -> str:
    """The text of one side of compare (or of trace): the text itself, or the one document of a file."""
    if literal:
        if not path_or_text.strip():
            raise _fail(f"{side or 'the text'} is empty; give some text")
        return path_or_text
    import stat

    p = Path(path_or_text)
    try:
        mode = p.stat().st_mode
    except OSError as e:
        reason = "no such file" if isinstance(e, FileNotFoundError) else (e.strerror or str(e))
        raise _fail(f"{path_or_text}: {reason} (to use the text itself, give --text)") from None
    if stat.S_ISDIR(mode):
        raise _fail(f"{path_or_text}: is a folder; give one file")
    if not stat.S_ISREG(mode):
        what = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "not a regular file"
        raise _fail(f"{path_or_text}: {what}; give a regular file")
    from wiretrace.ingest import read_inputs
    from wiretrace.model import Document, Skipped

    items = list(read_inputs([p]))
    docs = [i for i in items if isinstance(i, Document)]
    if doc_id is not None:
        chosen = [d for d in docs if d.id == doc_id]
        if not chosen:
            raise _fail(f"{path_or_text}: no document with id {doc_id!r}; it holds {_ids(docs)}")
        return chosen[0].text
    if len(docs) > 1:
        raise _fail(f"{path_or_text}: holds {len(docs)} documents ({_ids(docs)}); compare takes one per side: "
                    f"choose one with --{side or 'a'}-id ID")
    if not docs:
        reasons = "; ".join(f"{i.path}: {i.reason}" for i in items if isinstance(i, Skipped)) or "nothing readable"
        raise _fail(reasons)
    return docs[0].text


def _ids(docs: list) -> str:  # type: ignore[type-arg]
    shown = ", ".join(repr(d.id) for d in docs[:5])
    return f"ids {shown}" + (f" and {len(docs) - 5} more" if len(docs) > 5 else "") if docs else "no readable document"


@app.command("compare")
def compare_cli(
    a: Annotated[str, typer.Argument(help="First document (a file, or text with --text)")],
    b: Annotated[str, typer.Argument(help="Second document")],
    literal: Annotated[bool, typer.Option("--text", help="A and B are the texts themselves")] = False,
    a_id: Annotated[str | None, typer.Option("--a-id", help="The record of A to take, when A is a JSONL or WARC file")] = None,
    b_id: Annotated[str | None, typer.Option("--b-id", help="The record of B to take, when B is a JSONL or WARC file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the pair object of the report contract")] = False,
) -> None:
    """Tell how B relates to A: relation, scores and the aligned passages.

    Example: wiretrace compare examples/corpus/portstrike_origin_meridian.txt examples/corpus/portstrike_spin_dailyglimpse.txt
    """
    from wiretrace.engine.pipeline import compare
    from wiretrace.report.codecs import pair_to_json

    ta, tb = _read(a, literal, "a", a_id), _read(b, literal, "b", b_id)
    with _errors():
        pair = compare(ta, tb)
    if as_json:
        print(json.dumps(pair_to_json(pair), ensure_ascii=False, indent=1))
        return
    s = pair.scores
    sem = "n/a" if s.semantic is None else f"{s.semantic:.2f}"
    out.print(f"[bold]{pair.relation or 'unrelated'}[/bold]  direction {pair.direction}  lexical {s.lexical:.2f}  semantic {sem}  "
              f"A covered {s.a_covered:.0%}  B covered {s.b_covered:.0%}")
    for r in pair.reasons:
        out.print(f"  because {escape(r)}", highlight=False)
    colours = {PassageKind.VERBATIM: "green", PassageKind.NEAR_VERBATIM: "yellow", PassageKind.PARAPHRASE: "magenta"}
    for n, p in enumerate(pair.passages, 1):
        c = colours.get(p.kind, "white")
        out.print(f"\n[{c}]#{n} {p.kind} {p.score:.2f}[/{c}]  A[{p.a[0]}:{p.a[1]}]  B[{p.b[0]}:{p.b[1]}]")
        out.print(f"  A: {_short(ta[p.a[0]:p.a[1]])}", highlight=False, markup=False)
        out.print(f"  B: {_short(tb[p.b[0]:p.b[1]])}", highlight=False, markup=False)


def _exists(s: str) -> bool:
    try:
        return len(s) < 4096 and "\n" not in s and Path(s).exists()
    except OSError:  # a long pasted text is no file name
        return False


def _short(t: str, n: int = 160) -> str:
    t = " ".join(t.split())
    return t if len(t) <= n else t[: n - 1] + "…"


@app.command("trace")
def trace_cli(
    text: Annotated[str, typer.Argument(help="The text to trace, or a file holding it")],
    store_arg: Annotated[str, typer.Option("--store", help="The --out folder of a run")] = "out",
    literal: Annotated[bool, typer.Option("--text", help="TEXT is the text itself, even if it looks like a file name")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    top: Annotated[int, typer.Option("--top", help="How many matches to show")] = 5,
) -> None:
    """Where did this text come from? The stories and documents that carry it, with aligned passages.
    TEXT is read as a file when it names one, or looks like a file name (one word with a suffix or a
    folder: then a missing file is an error); anything else is the text itself.

    Example: wiretrace trace "Dockworkers walked off the job at the port" --store out/demo
    """
    from wiretrace.engine.query import QUERY_ID, where_from
    from wiretrace.report.codecs import pair_to_json

    store = _store(store_arg)
    is_file = not literal and (_looks_like_path(text) or _exists(text))
    body = _read(text, literal=not is_file, side="the text")
    with _errors():
        matches = where_from(store, body, top=top)
    if as_json:
        print(json.dumps([
            {"document": m.document, "story": m.story.id if m.story else None, "origin": m.story.origin if m.story else None,
             "explained": round(m.explained, 4), "pair": pair_to_json(m.pair)} for m in matches
        ], ensure_ascii=False, indent=1))
        return
    if not matches:
        out.print("no stored document carries this text")
        return
    for m in matches:
        story = escape(f"story {m.story.id} ({m.story.title[:50]}), origin {m.story.origin}") if m.story else "no story"
        out.print(f"[bold]{escape(printable(m.document))}[/bold]  {m.pair.relation}  explains {m.explained:.0%} of the text  | {story}", highlight=False)
        for p in m.pair.passages[:3]:
            qs, qe = p.a if m.pair.a == QUERY_ID else p.b
            out.print(f"   {p.kind} {p.score:.2f}: {_short(body[qs:qe], 120)}", highlight=False, markup=False)


@app.command("explain")
def explain_cli(
    doc_id: Annotated[str, typer.Argument(help="A document id from the report")],
    store_arg: Annotated[str, typer.Option("--store", help="The --out folder of a run")] = "out",
    as_json: Annotated[bool, typer.Option("--json", help="Print the segments as JSON (start, end, kind, reason, text)")] = False,
) -> None:
    """Show why cleaning kept or removed each block of a document.

    Example: wiretrace explain portstrike_dup_coastalherald --store out/demo
    """
    store = _store(store_arg)
    with _errors():
        try:
            doc = store.document(doc_id)
            cl = store.cleaned([doc_id]).get(doc_id)
        finally:
            store.close()
        if doc is None or cl is None:
            raise NotFoundError("document", doc_id)
    if as_json:
        segs = [{"start": s.start, "end": s.end, "kind": s.kind, "reason": s.reason, "text": doc.text[s.start : s.end]}
                for s in cl.segments]
        print(json.dumps({"document": doc_id, "segments": segs}, ensure_ascii=False, indent=1))
        return
    for seg in cl.segments:
        style = "green" if seg.kind == BODY else "red"
        text = escape(printable(_short(doc.text[seg.start : seg.end], 90)))  # article text is data, never markup
        out.print(f"[{style}]{seg.kind:>13}[/{style}] [{seg.start}:{seg.end}] {text}", highlight=False)
        out.print(f"{'':>14} [dim]{escape(seg.reason)}[/dim]", highlight=False)


@app.command("stories")
def stories_cli(
    store_arg: Annotated[str, typer.Option("--store", help="The --out folder of a run")] = "out",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List the stories in a store, largest first.

    Example: wiretrace stories --store out/demo
    """
    from wiretrace.report.codecs import story_to_json

    store = _store(store_arg)
    with _errors():
        try:
            stories = sorted(store.stories(), key=lambda s: (-len(s.documents), s.id))
        finally:
            store.close()
    if as_json:
        print(json.dumps([story_to_json(s) for s in stories], ensure_ascii=False, indent=1))
        return
    table = Table()
    for col in ("id", "docs", "origin", "title"):
        table.add_column(col)
    for s in stories:
        table.add_row(s.id, str(len(s.documents)), escape(printable(s.origin or "-")), escape(printable(s.title[:70])))
    out.print(table)


@app.command("serve")
def serve_cli(
    store_arg: Annotated[str, typer.Option("--store", help="The --out folder of a run")] = "out",
    init: Annotated[bool, typer.Option("--init", help="Start an empty store in --store when it holds none")] = False,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; the default serves this machine only")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port", min=1, max=65535)] = 8000,
    token: Annotated[
        str | None, typer.Option("--token", envvar="WIRETRACE_TOKEN", help="API token that POST /documents requires")
    ] = None,
    max_body_mb: Annotated[float, typer.Option("--max-body-mb", help="Largest request body, in MiB", min=0.01)] = 8.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No banner, no access log")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Debug logging")] = False,
) -> None:
    """Serve the story browser and the HTTP API over a store: story list, story, pair and document pages,
    search by text, and POST /documents to add pages (stories update as they arrive). API schema at /openapi.json.

    Example: wiretrace serve --store out/demo --port 8000
    """
    from wiretrace.errors import MissingExtraError

    store_dir = _folder(store_arg, "--store")
    if not init:
        _store(store_arg).close()  # an error naming the folder when it holds no store
    with _errors():
        try:
            import uvicorn
        except ImportError as e:
            raise MissingExtraError("wiretrace serve", "serve", e.name) from e
        from wiretrace.app.service import create_app
    local = host in ("127.0.0.1", "localhost")  # then only this machine's names are answered (DNS rebinding)
    with _errors():
        application = create_app(
            store_dir, token=token, max_body_bytes=int(max_body_mb * 1024 * 1024),
            allowed_hosts=["127.0.0.1", "localhost"] if local else None,
        )
    if not quiet:
        if host not in ("127.0.0.1", "localhost", "::1") and not token:
            err.print(f"[yellow]warning:[/yellow] listening on {host} without --token: anyone who reaches it can add documents",
                      highlight=False)
        err.print(f"wiretrace: serving {store_dir} at http://{host}:{port}/ (Ctrl+C stops)", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="debug" if verbose else "warning" if quiet else "info",
                access_log=not quiet)


def main() -> None:
    app(prog_name="wiretrace")


if __name__ == "__main__":  # pragma: no cover
    main()
