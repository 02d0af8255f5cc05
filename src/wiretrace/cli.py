"""The ``wiretrace`` command. Each command parses, calls the library, and maps wiretrace's named
errors to a one-line message and exit code 1. Nothing else happens here."""

from __future__ import annotations

import json
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

from .errors import NotFoundError, WiretraceError

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
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


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


@app.command("run")
def run_cli(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders: .txt .html .htm .jsonl .warc .warc.gz")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: store, report.json, index.html, site/")] = Path("out"),
    with_text: Annotated[bool, typer.Option("--with-text", help="Put each document's raw text in report.json")] = False,
    no_html: Annotated[bool, typer.Option("--no-html", help="Skip index.html and the static story browser (site/)")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or table")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every skipped input and story")] = False,
    lexical_only: Annotated[
        bool, typer.Option("--lexical-only", help="No sentence embeddings: duplicates, containment, verbatim reuse only")
    ] = False,
    engine: Annotated[
        Engine, typer.Option("--engine", help="local, or spark: the same stages as Spark jobs (needs the spark extra and Java 17); "
                             "writes Parquet tables under --out/tables, reads .parquet too, keeps no store")
    ] = Engine.local,
) -> None:
    """Run the whole pipeline on INPUTS into the store under --out; add files to the same --out later
    and only the new ones are processed.

    Example: wiretrace run examples/corpus --out out/demo
    """
    from .align import AlignConfig
    from .pipeline import RunConfig, Stats, run
    from .report import report_to_json, write_report

    stats = Stats()
    config = RunConfig(align=AlignConfig(semantic=not lexical_only))
    with _errors(), _progress(quiet or as_json) as bar:
        if engine is Engine.spark:
            from .spark import run_spark

            report = run_spark([str(p) for p in inputs], config, out=out_dir, progress=bar, stats=stats)
        else:
            report = run([str(p) for p in inputs], config, out=out_dir, progress=bar, stats=stats)
        browser = not no_html and engine is Engine.local
        json_path, html_path = write_report(report, out_dir, with_text=with_text, html=not no_html, site="site/" if browser else None)
        site = None
        if browser:  # the story browser as static pages, readable without a server
            from .web import export_site

            site = out_dir / "site"
            export_site(out_dir, site, progress=bar, report=report)
    for sk in stats.skipped:
        err.print(f"[yellow]skipped[/yellow] {escape(f'{sk.path}: {sk.reason}')}", highlight=False, soft_wrap=True)
    summary = report_to_json(report)["summary"]
    if as_json:
        print(json.dumps({**summary, "new": stats.new, "unchanged": stats.unchanged, "report": str(json_path)}))
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
        table.add_row(escape(s.title[:60]), str(len(s.documents)), escape(s.origin or "-"), ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    out.print(table)
    out.print(
        f"relations: {summary['relations'] or 'none'} | new {stats.new}, unchanged {stats.unchanged}, "
        f"skipped {len(stats.skipped)} | wrote {json_path}" + (f", {html_path}" if html_path else "")
        + (f" and the story browser {site / 'index.html'}" if site else ""),
        highlight=False,
    )


def _is_file(s: str) -> bool:
    try:
        return len(s) < 4096 and "\n" not in s and Path(s).is_file()
    except OSError:  # a long pasted text is no file name
        return False


def _read(path_or_text: str, literal: bool) -> str:
    if literal:
        return path_or_text
    p = Path(path_or_text)
    if not p.is_file():
        raise typer.BadParameter(f"{path_or_text}: no such file (use --text to pass literal text)")
    from .ingest import read_inputs
    from .model import Skipped

    items = list(read_inputs([p]))
    docs = [i for i in items if not isinstance(i, Skipped)]
    if not docs:
        reason = items[0].reason if items else "nothing readable"  # type: ignore[union-attr]
        err.print(f"[red]error:[/red] {escape(f'{p}: {reason}')}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    return docs[0].text


@app.command("compare")
def compare_cli(
    a: Annotated[str, typer.Argument(help="First document (a file, or text with --text)")],
    b: Annotated[str, typer.Argument(help="Second document")],
    literal: Annotated[bool, typer.Option("--text", help="A and B are the texts themselves")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the pair object of the report contract")] = False,
) -> None:
    """Tell how B relates to A: relation, scores and the aligned passages.

    Example: wiretrace compare examples/corpus/portstrike_origin_meridian.txt examples/corpus/portstrike_spin_dailybuzz.txt
    """
    from .pipeline import compare
    from .store import pair_to_json

    ta, tb = _read(a, literal), _read(b, literal)
    with _errors():
        pair = compare(ta, tb)
    if as_json:
        print(json.dumps(pair_to_json(pair), ensure_ascii=False, indent=1))
        return
    s = pair.scores
    sem = "n/a" if s.semantic is None else f"{s.semantic:.2f}"
    out.print(f"[bold]{pair.relation}[/bold]  direction {pair.direction}  lexical {s.lexical:.2f}  semantic {sem}  "
              f"A covered {s.a_covered:.0%}  B covered {s.b_covered:.0%}")
    for r in pair.reasons:
        out.print(f"  because {escape(r)}", highlight=False)
    colours = {"verbatim": "green", "near_verbatim": "yellow", "paraphrase": "magenta"}
    for n, p in enumerate(pair.passages, 1):
        c = colours.get(p.kind, "white")
        out.print(f"\n[{c}]#{n} {p.kind} {p.score:.2f}[/{c}]  A[{p.a[0]}:{p.a[1]}]  B[{p.b[0]}:{p.b[1]}]")
        out.print(f"  A: {_short(ta[p.a[0]:p.a[1]])}", highlight=False, markup=False)
        out.print(f"  B: {_short(tb[p.b[0]:p.b[1]])}", highlight=False, markup=False)


def _short(t: str, n: int = 160) -> str:
    t = " ".join(t.split())
    return t if len(t) <= n else t[: n - 1] + "…"


@app.command("trace")
def trace_cli(
    text: Annotated[str, typer.Argument(help="The text to trace, or a file holding it")],
    store_dir: Annotated[Path, typer.Option("--store", help="The --out folder of a run")] = Path("out"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    top: Annotated[int, typer.Option("--top", help="How many matches to show")] = 5,
) -> None:
    """Where did this text come from? The stories and documents that carry it, with aligned passages.

    Example: wiretrace trace "Dockworkers walked off the job at the port" --store out/demo
    """
    from .query import QUERY_ID, where_from
    from .store import Store, pair_to_json

    body = _read(text, literal=not _is_file(text))
    with _errors():
        matches = where_from(Store(store_dir), body, top=top)
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
        out.print(f"[bold]{escape(m.document)}[/bold]  {m.pair.relation}  explains {m.explained:.0%} of the text  | {story}", highlight=False)
        for p in m.pair.passages[:3]:
            qs, qe = p.a if m.pair.a == QUERY_ID else p.b
            out.print(f"   {p.kind} {p.score:.2f}: {_short(body[qs:qe], 120)}", highlight=False, markup=False)


@app.command("explain")
def explain_cli(
    doc_id: Annotated[str, typer.Argument(help="A document id from the report")],
    store_dir: Annotated[Path, typer.Option("--store", help="The --out folder of a run")] = Path("out"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the segments as JSON (start, end, kind, reason, text)")] = False,
) -> None:
    """Show why cleaning kept or removed each block of a document.

    Example: wiretrace explain portstrike_dup_coastalherald --store out/demo
    """
    from .store import Store

    with _errors():
        store = Store(store_dir)
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
        style = "green" if seg.kind == "body" else "red"
        text = escape(_short(doc.text[seg.start : seg.end], 90))  # article text is data, never markup
        out.print(f"[{style}]{seg.kind:>13}[/{style}] [{seg.start}:{seg.end}] {text}", highlight=False)
        out.print(f"{'':>14} [dim]{escape(seg.reason)}[/dim]", highlight=False)


@app.command("stories")
def stories_cli(
    store_dir: Annotated[Path, typer.Option("--store", help="The --out folder of a run")] = Path("out"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List the stories in a store, largest first.

    Example: wiretrace stories --store out/demo
    """
    from .store import Store, story_to_json

    with _errors():
        stories = sorted(Store(store_dir).stories(), key=lambda s: (-len(s.documents), s.id))
    if as_json:
        print(json.dumps([story_to_json(s) for s in stories], ensure_ascii=False, indent=1))
        return
    table = Table()
    for col in ("id", "docs", "origin", "title"):
        table.add_column(col)
    for s in stories:
        table.add_row(s.id, str(len(s.documents)), escape(s.origin or "-"), escape(s.title[:70]))
    out.print(table)


@app.command("serve")
def serve_cli(
    store_dir: Annotated[Path, typer.Option("--store", help="The --out folder of a run (created if missing)")] = Path("out"),
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
    from .errors import MissingExtraError

    with _errors():
        try:
            import uvicorn
        except ImportError as e:
            raise MissingExtraError("wiretrace serve", "serve", e.name) from e
        from .service import create_app
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
