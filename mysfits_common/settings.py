"""Settings read from the environment: a value that cannot be used is a SettingError naming it.

Each variable is defined once, as a :class:`Setting`: its name, how it is read and its default. The
process that reads it builds its settings through that definition, and a process that starts another
(the embedded runner) hands the value on through it too (:meth:`Setting.env`), so that a name, a
parser or a default is never written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = [
    "FULFIL_SECRET",
    "Setting",
    "SettingError",
    "between",
    "from_settings",
    "maybe_text",
    "number",
    "on_off",
    "switch",
    "text",
    "variable",
    "whole_number",
]

T = TypeVar("T", int, float)
V = TypeVar("V")


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


def text(env: Mapping[str, str], name: str, default: str) -> str:
    """``env[name]``; ``default`` when it is unset or empty."""
    return env.get(name) or default


def maybe_text(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    """``env[name]``; ``default`` (None: not set) when it is unset or empty."""
    return env.get(name) or default


def between(low: int, high: int) -> Callable[[Mapping[str, str], str, int], int]:
    """A reader of a whole number from ``low`` to ``high``."""

    def read(env: Mapping[str, str], name: str, default: int) -> int:
        value = whole_number(env, name, default)
        if not low <= value <= high:
            raise SettingError(f"{name} must be between {low} and {high}, not {value}")
        return value

    return read


def on_off(value: bool) -> str:
    """How :func:`switch` reads a bool back."""
    return "1" if value else "0"


@dataclass(frozen=True)
class Setting(Generic[V]):
    """One environment variable: its ``name``, its ``default`` (unset or empty) and ``reader``
    (``reader(env, name, default)``: :func:`whole_number`, :func:`switch`, :func:`text`...);
    ``show`` writes a value as ``reader`` reads it back."""

    name: str
    default: V
    reader: Callable[[Mapping[str, str], str, V], V]
    show: Callable[[V], str] = str

    def read(self, env: Mapping[str, str]) -> V:
        return self.reader(env, self.name, self.default)

    def env(self, value: V | None) -> dict[str, str]:
        """The environment that hands ``value`` to a process reading this setting (none for None)."""
        return {} if value is None else {self.name: self.show(value)}


def variable(setting: Setting[V]) -> V:
    """A field of a settings dataclass read from ``setting`` (see :func:`from_settings`); its
    default is the setting's."""
    found: Any = field(default=setting.default, metadata={"setting": setting})
    return found


def from_settings(fields_of: tuple[Any, ...], env: Mapping[str, str]) -> dict[str, Any]:
    """The values of the :func:`variable` fields among ``fields_of`` (``dataclasses.fields(cls)``),
    read from ``env``, by field name."""
    return {f.name: f.metadata["setting"].read(env) for f in fields_of if "setting" in f.metadata}


#: The secret of the monolith's fulfil routes, which the workers send: read by both.
FULFIL_SECRET = Setting("FULFIL_SECRET", "", text)
