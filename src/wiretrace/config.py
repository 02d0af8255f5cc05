"""What every ``*Config`` checks when built: each field holds a value of its declared type
(``check_types``) and lies in its range (``at_least``, ``share``, ``cosine``), else a ``ConfigError``
naming the stage, the field, the value, what it must be and how to fix it.

A whole-number field takes any integer but ``True``/``False``; a number field any real number but
those; a field typed ``X | None`` takes None too; a nested config, a tuple or a mapping its kind.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import types
import typing
from typing import Any

from wiretrace.errors import ConfigError


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _matches(value: object, hint: Any) -> bool:
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, h) for h in typing.get_args(hint))
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if origin is not None:
        return isinstance(value, origin)
    return not isinstance(hint, type) or isinstance(value, hint)


def _describe(hint: Any) -> str:
    if hint is type(None):
        return "None"
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    words = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}
    if hint in words:
        return words[hint]
    if origin is not None:
        return f"a {origin.__name__}"
    return f"an instance of {getattr(hint, '__name__', hint)}"


def check_types(stage: str, config: object) -> None:
    """Raise ConfigError for the first field of the dataclass ``config`` whose value is not of its type."""
    cls: Any = type(config)
    hints = _hints(cls)
    for f in dataclasses.fields(config):  # type: ignore[arg-type]
        value = getattr(config, f.name)
        hint = hints.get(f.name, Any)
        if not _matches(value, hint):
            raise ConfigError(stage, f.name, value, _describe(hint))


def at_least(stage: str, config: object, low: float, *names: str, what: str = "") -> None:
    """Each of ``names`` is at least ``low`` (``what`` says it in words, else "low or more")."""
    for name in names:
        value = getattr(config, name)
        if value < low:
            raise ConfigError(stage, name, value, what or f"{low} or more")


def share(stage: str, config: object, *names: str, zero: bool = True) -> None:
    """Each of ``names`` is a share: in [0, 1] (in (0, 1] where ``zero`` is False)."""
    for name in names:
        value = getattr(config, name)
        if not (0.0 <= value <= 1.0 if zero else 0.0 < value <= 1.0):
            raise ConfigError(stage, name, value, "a share in [0, 1]" if zero else "a share in (0, 1]")


def cosine(stage: str, config: object, *names: str) -> None:
    """Each of ``names`` is a cosine: in [-1, 1]."""
    for name in names:
        value = getattr(config, name)
        if not -1.0 <= value <= 1.0:
            raise ConfigError(stage, name, value, "a cosine in [-1, 1]")
