"""The strangler switch at run time: whether each feature runs inline or through its queue.

An SSM parameter per feature (created by messaging.yaml, set with ``python -m ops switch``) holds
its mode. The monolith reads it through a short cache, so a flip reaches every gunicorn process
within ``SWITCH_CACHE_SECONDS`` with no restart, at one GetParameter per feature and process per
period whatever the traffic. Without a parameter configured, ``LIKE_MODE`` / ``ADOPT_MODE`` decide,
fixed for the life of the process. A parameter that cannot be read (SSM unreachable, throttled, a
value that is not a mode) keeps the mode last read, else the environment's, and says so in the log:
a wobble of SSM must neither fail requests nor flip the switch.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from botocore.exceptions import BotoCoreError, ClientError

from monolith.config import MODES, Mode

logger = logging.getLogger(__name__)

Feature = Literal["like", "adopt"]
FEATURES: tuple[Feature, ...] = ("like", "adopt")


class ModeSource(abc.ABC):
    """Where the strangler switch's position comes from."""

    @abc.abstractmethod
    def mode(self, feature: Feature) -> Mode:
        """The feature's mode now."""


@dataclass(frozen=True)
class FixedModes(ModeSource):
    """Modes set once, from the environment."""

    like: Mode = "queue"
    adopt: Mode = "queue"

    def mode(self, feature: Feature) -> Mode:
        return self.like if feature == "like" else self.adopt


class ParameterModes(ModeSource):
    """Modes read from SSM parameters (``names``: feature -> parameter name), cached ``cache_seconds``."""

    def __init__(
        self,
        ssm_client: Any,
        names: Mapping[Feature, str],
        fallback: FixedModes,
        cache_seconds: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ssm = ssm_client
        self._names = dict(names)
        self._fallback = fallback
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cached: dict[Feature, tuple[Mode, float]] = {}
        self._lock = threading.Lock()

    def mode(self, feature: Feature) -> Mode:
        name = self._names.get(feature)
        if not name:
            return self._fallback.mode(feature)
        now = self._clock()
        cached = self._cached.get(feature)
        if cached is not None and now - cached[1] < self._cache_seconds:
            return cached[0]
        # One read per expiry: while one request thread reads, the others go on with the mode they
        # know (a slow SSM delays one request, not all); only the very first read makes them wait.
        if not self._lock.acquire(blocking=cached is None):
            assert cached is not None
            return cached[0]
        try:
            latest = self._cached.get(feature)
            if latest is not cached:  # read by another thread while this one waited: as fresh as it gets
                assert latest is not None
                return latest[0]
            keep = cached[0] if cached else self._fallback.mode(feature)
            began = self._clock()
            read = self._read(feature, name, keep)
            # A mode read is stamped when its read began: a flip that lands during a slow read is
            # still seen within ``SWITCH_CACHE_SECONDS`` of the flip. A failed read keeps the mode
            # for a whole period from its failure, so a slow, failing SSM is not asked back to back.
            self._cached[feature] = (read, began) if read is not None else (keep, self._clock())
            return read or keep
        finally:
            self._lock.release()

    def _read(self, feature: Feature, name: str, keep: Mode) -> Mode | None:
        """The parameter's mode, or None (logged) if it cannot be read or holds no mode."""
        try:
            value = str(self._ssm.get_parameter(Name=name)["Parameter"]["Value"]).strip().lower()
        except (BotoCoreError, ClientError) as error:
            logger.warning("Strangler switch unreadable; keeping the mode",
                           extra={"feature": feature, "parameter": name, "mode": keep, "error": str(error)})
            return None
        if value not in MODES:
            logger.warning("Strangler switch holds no mode; keeping the mode",
                           extra={"feature": feature, "parameter": name, "value": value, "mode": keep})
            return None
        if value != keep:
            logger.info("Strangler switch flipped", extra={"feature": feature, "from": keep, "to": value})
        return cast(Mode, value)
