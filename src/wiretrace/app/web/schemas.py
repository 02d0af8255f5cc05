"""Request bodies of the HTTP service, as pydantic models (they document themselves in /openapi.json)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CompareIn(BaseModel):
    a: str = Field(min_length=1, description="The first text")
    b: str = Field(min_length=1, description="The second text: how it relates to a")


class TraceIn(BaseModel):
    text: str = Field(min_length=1, description="A paragraph or an article: where did it come from?")
    top: int = Field(5, ge=1, le=50, description="How many matching documents to return")


class DocumentIn(BaseModel):
    """One document, with the fields of a JSONL input line (``text`` or ``html`` is required)."""

    id: str | int
    text: str | None = None
    html: str | None = None
    url: str | None = None
    source: str | None = None
    title: str | None = None
    published: str | None = Field(None, description="a date, e.g. 2026-03-10")


DOC_SCHEMA = DocumentIn.model_json_schema()
DOCUMENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [DOC_SCHEMA, {"type": "array", "items": DOC_SCHEMA}]}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                          "description": ".txt, .html/.htm, .jsonl or .warc/.warc.gz files, read as `wiretrace run` reads them"},
            }}},
        },
    }
}
