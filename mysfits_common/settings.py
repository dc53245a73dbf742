"""Settings read from the environment: a value that cannot be used is a SettingError naming it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = ["SettingError", "number", "switch", "whole_number"]

T = TypeVar("T", int, float)


class SettingError(ValueError):
    """A setting that cannot be used; ``str(error)`` names it and says what it must be."""


def whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    """``env[name]`` as an int; ``default`` when it is unset or empty."""
    return _read(env, name, default, int, "a whole number")


def number(env: Mapping[str, str], name: str, default: float) -> float:
    """``env[name]`` as a float (seconds, say); ``default`` when it is unset or empty."""
    return _read(env, name, default, float, "a number")


_ON = ("1", "on", "true", "yes")
_OFF = ("0", "off", "false", "no")


def switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    """``env[name]`` as on (1, on, true, yes) or off (0, off, false, no), any case; ``default`` when unset or empty."""
    value = env.get(name, "").strip().lower()
    if value == "":
        return default
    if value in _ON or value in _OFF:
        return value in _ON
    raise SettingError(f"{name} must be one of {', '.join(_ON)} or {', '.join(_OFF)}, not {env[name]!r}")


def _read(env: Mapping[str, str], name: str, default: T, parse: Callable[[str], T], kind: str) -> T:
    value = env.get(name, "")
    if value.strip() == "":
        return default
    try:
        return parse(value)
    except ValueError:
        raise SettingError(f"{name} must be {kind}, not {value!r}") from None
