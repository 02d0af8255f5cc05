"""All of wiretrace's exceptions. Every message names the stage, the item, what was expected, and the fix.

Only the CLI turns these into exit codes; the library raises them, or (for per-item input problems)
records them as ``Skipped`` entries so that a run goes on with the rest.
"""

from __future__ import annotations


class WiretraceError(Exception):
    """Base of every error wiretrace raises on purpose."""


class ConfigError(WiretraceError, ValueError):
    """A configuration value is out of range. The message names the field, the value and the fix."""

    def __init__(self, stage: str, name: str, value: object, expected: str) -> None:
        super().__init__(f"{stage}: {name}={value!r} is invalid: expected {expected}.")
        self.stage, self.name, self.value = stage, name, value


class InputError(WiretraceError):
    """One input (file, JSONL line, WARC record) could not be read. The run goes on with the rest."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


class NoInputError(WiretraceError):
    """Nothing at all could be read from the inputs given."""

    def __init__(self, paths: list[str], skipped: int) -> None:
        shown = ", ".join(paths[:3]) + (" ..." if len(paths) > 3 else "")
        super().__init__(
            f"ingest: no document could be read from {shown} ({skipped} input(s) skipped); "
            "give .txt, .html/.htm, .jsonl or .warc/.warc.gz files, or a folder holding them."
        )


class StoreError(WiretraceError):
    """The embedded store cannot be opened or is of another version."""


class ModelError(WiretraceError):
    """The offline embedding model could not be loaded."""


class NotFoundError(WiretraceError, KeyError):
    """A document or story id is not in the store."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"no {what} with id {ident!r} in the store; list them with `wiretrace stories --store DIR`.")
        self.what, self.ident = what, ident

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class EngineError(WiretraceError):
    """The chosen engine cannot run here (Spark: pyspark or Java missing, or the session failed)."""


class MissingExtraError(WiretraceError, ImportError):
    """An optional part (the HTTP service, the Spark engine) is used without its extra installed."""

    def __init__(self, feature: str, extra: str, missing: str | None) -> None:
        super().__init__(
            f"{feature} needs the {extra} extra ({missing or 'a module'} is not installed): pip install 'wiretrace[{extra}]'"
        )
        self.feature, self.extra, self.missing = feature, extra, missing
