"""Ids the service cannot serve back are refused when posted (issue 17): a newline or an escape in an id."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the HTTP service needs the serve extra: pip install 'wiretrace[serve]'")
from fastapi.testclient import TestClient  # noqa: E402

from wiretrace.app.service import create_app  # noqa: E402

TEXT = ("Harbour board widens the channel\n\nThe harbour board voted on Tuesday to widen the northern channel, "
        "a plan debated for a decade. Dredging starts in spring and ends before the autumn storms.")


@pytest.mark.parametrize("bad", ["two\nlines", "tab\there", "colour\x1b[31m", "nul\x00", "bidi\u202eevil"])
def test_an_id_with_control_characters_is_refused_and_nothing_is_stored(fresh_store: Path, bad: str) -> None:
    with TestClient(create_app(fresh_store)) as c:
        before = c.get("/health").json()["documents"]
        res = c.post("/documents", json={"id": bad, "text": TEXT})
        assert res.status_code == 422
        assert "control characters" in res.json()["errors"][0]["error"]
        res = c.post("/documents", json=[{"id": bad, "text": TEXT}, {"id": "printable-id", "text": TEXT}])
        assert res.status_code == 201 and res.json()["added"] == ["printable-id"]
        assert c.get("/health").json()["documents"] == before + 1
        assert c.get("/documents/printable-id").status_code == 200
