"""All of wiretrace's exceptions. Every message names the stage, the item, what was expected, and the fix.

Only the CLI turns these into exit codes; the library raises them, or (for per-item input problems)
records them as ``Skipped`` entries so that a run goes on with the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wiretrace.model import Skipped


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters (newlines, ANSI escapes, bidi overrides) written as escapes
    (``\\n``, ``\\x1b``), so a file name or an id printed to a terminal is what it is and forges nothing."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class WiretraceError(Exception):
    """Base of every error wiretrace raises on purpose."""


class ConfigError(WiretraceError, ValueError):
    """A configuration value is out of range. The message names the field, the value and the fix."""

    def __init__(self, stage: str, name: str, value: object, expected: str) -> None:
        super().__init__(f"{stage}: {name}={value!r} is invalid: expected {expected}.")
        self.stage, self.name, self.value = stage, name, value


class DataFileError(WiretraceError):
    """A data file shipped inside wiretrace (the cleaner's weights and lexicon, the paraphrase model, the
    semantic bounds) is missing, unreadable or made for other code. The message names the file, what is
    wrong with it and the fix."""

    def __init__(self, path: str, problem: str, fix: str) -> None:
        super().__init__(f"{path}: {problem}; {fix}")
        self.path, self.problem = path, problem


class InputError(WiretraceError):
    """One input (file, JSONL line, WARC record) could not be read. The run goes on with the rest."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


class NoInputError(WiretraceError):
    """Nothing at all could be read from the inputs given. The message lists each skipped input with
    its reason, and names the readable file types only when some input was of another type (or none
    was found at all)."""

    SHOWN = 20

    def __init__(self, paths: list[str], skipped: Sequence[Skipped] | int, formats: Sequence[str] = ()) -> None:
        shown = ", ".join(printable(p) or "''" for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
        items = list(skipped) if not isinstance(skipped, int) else []
        count = skipped if isinstance(skipped, int) else len(items)
        lines = [f"ingest: no document could be read from {shown} ({count} input(s) skipped)"]
        lines += [f"  {printable(s.path) or repr('')}: {printable(s.reason)}" for s in items[: self.SHOWN]]
        if len(items) > self.SHOWN:
            lines.append(f"  ... and {len(items) - self.SHOWN} more (all are in the store's report)")
        other_type = any(s.reason.startswith("unsupported file type") for s in items)
        if other_type or count == 0 or (formats and not any(formats)):
            lines.append("give .txt, .html/.htm, .jsonl/.jsonl.gz or .warc/.warc.gz files, or a folder holding them.")
        else:
            lines.append("fix the inputs named above and run again.")
        super().__init__("\n".join(lines))
        self.paths, self.skipped = paths, items


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


# --- The texts raised from more than one place, or by the engines and the store: each names the item
# and says the fix. Raise ``errors.store_missing(folder)`` etc.; the message lives only here. -------

STORE_FILE = "wiretrace.sqlite"  # a store's file in its --out folder (engine.store.STORE_FILE)
EMPTY_TEXT = "empty file (only whitespace)"  # a page with nothing but whitespace (ingest: text and HTML)


def store_missing(folder: object) -> StoreError:
    return StoreError(f"store: no wiretrace store in {folder} (no {STORE_FILE} there); give the --out folder of a run")


def store_folder_absent(folder: object, exists: bool) -> StoreError:
    what = "is a file, not a folder" if exists else "does not exist"
    return StoreError(f"store: {folder} {what}: no wiretrace store there; give the --out folder of a run")


def store_empty_path() -> StoreError:
    return StoreError("store: the store folder is an empty path; give the --out folder of a run")


def store_out_is_file(folder: object) -> StoreError:
    return StoreError(f"store: {folder} is a file, not a folder; give a folder as --out")


def store_file_is_folder(path: object) -> StoreError:
    return StoreError(f"store: {path} is a folder, not a store file; remove it or give another --out folder")


def store_version(path: object, found: str, writes: str) -> StoreError:
    return StoreError(f"store: {path} has {found}, this wiretrace writes {writes}; use a new --out folder.")


def store_locked(holder: str, folder: object) -> StoreError:
    return StoreError(
        f"store: another wiretrace process (pid {holder}) is writing to {folder}; "
        "wait for it to finish (this run did nothing), or give another --out folder"
    )


def prune_from_elsewhere(folder: str, files: int, cwd: str) -> InputError:
    return InputError(
        folder, f"--prune: none of the {files} files the store was read from exists from {cwd}; "
        "run from the folder of the earlier runs; nothing was forgotten"
    )


SPARK_INSTALL = "install the Spark extra: pip install 'wiretrace[spark]' (it needs Java 17 or later: check `java -version`)"


def spark_missing() -> EngineError:
    return EngineError(f"spark: pyspark is not installed; {SPARK_INSTALL}.")


def spark_no_java() -> EngineError:
    return EngineError(f"spark: no Java found (java on PATH or JAVA_HOME); {SPARK_INSTALL}.")


def spark_no_session(err: BaseException) -> EngineError:
    return EngineError(f"spark: the session did not start ({str(err).strip()[:300]}); {SPARK_INSTALL}.")


def spark_no_convergence(rounds: int) -> EngineError:
    return EngineError(f"spark: connected components did not converge in {rounds} rounds; raise max_rounds")
