"""End-to-end browser fixtures: `wiretrace serve` on loopback and Debian's headless chromium driven by
playwright. No browser is downloaded: without /usr/bin/chromium (``apt-get install chromium``) the
tests skip and say so; with ``WIRETRACE_REQUIRE=browser`` (CI) they fail instead (tests/requirements.py). Screenshots go to out/test-artefacts/ (git-ignored)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REPO
from tests.requirements import missing, need_module
from tests.service.conftest import copy_store, corpus_store_dir

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = REPO / "out" / "test-artefacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

if not CHROMIUM.exists():
    missing(
        "browser",
        f"browser tests need Debian's chromium at {CHROMIUM}: apt-get update && apt-get install -y chromium "
        "(.ci/run installs it)", module_level=True,
    )
need_module("browser", "playwright.sync_api", "browser tests need playwright (the dev extra; requirements.lock)",
            module_level=True)
need_module("browser", "uvicorn", "browser tests need the serve extra: pip install 'wiretrace[serve]'",
            module_level=True)


@dataclass
class Server:
    url: str
    store: Path

    def api(self, method: str, path: str, **kw: Any) -> Any:
        import httpx

        r = httpx.request(method, self.url + path, timeout=60, **kw)
        r.raise_for_status()
        return r.json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    from wiretrace.app.service import create_app

    store = copy_store(corpus_store_dir(tmp_path_factory), tmp_path_factory.mktemp("browser-store"))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("wiretrace serve did not start within 30 s")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", store)
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as p:
        # playwright gives the launch a fresh temporary profile (--user-data-dir) of its own
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    yield pg
    context.close()


def shot(page: Any, name: str, full: bool = True) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path
