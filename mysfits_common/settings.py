"""Settings read from the environment: a value that cannot be used is a SettingError naming it."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SettingError", "number", "whole_number"]


class SettingError(ValueError):
    """A setting that cannot be used; ``str(error)`` names it and says what it must be."""


def whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    """``env[name]`` as an int; ``default`` when it is unset or empty."""
    value = env.get(name, "")
    if value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {value!r}") from None


def number(env: Mapping[str, str], name: str, default: float) -> float:
    """``env[name]`` as a float (seconds, say); ``default`` when it is unset or empty."""
    value = env.get(name, "")
    if value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise SettingError(f"{name} must be a number, not {value!r}") from None
