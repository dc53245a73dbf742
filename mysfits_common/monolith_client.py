"""How a worker talks to the monolith: reads of the catalogue and the authenticated fulfil calls."""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from mysfits_common.budgets import BUDGET_HEADER, FULFIL_CALL_SECONDS
from mysfits_common.events import CORRELATION_HEADER, Event
from mysfits_common.handlers import Busy, NotAuthorised, PermanentError, TransientError
from mysfits_common.outcomes import NOT_FOUND, Outcome, from_word

logger = logging.getLogger(__name__)

FULFIL_SECRET_HEADER = "X-Fulfil-Secret"
_BATCH_FULFIL_PATH = "/mysfits/batch/fulfill-likes"
_RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}
# A wrong or rotated secret: no message can succeed until it is fixed (see NotAuthorised).
_NOT_AUTHORISED_STATUSES = {401, 403}
_BUSY_CODE = "item_busy"  # the monolith's 503 for an item that stayed busy (monolith.errors)


@dataclass(frozen=True)
class FulfilResult:
    status_code: int
    body: dict[str, Any]

    @property
    def outcome(self) -> Outcome:
        """What became of the event: a 409 is a rival's adoption (REJECTED), else the answer's word."""
        if self.status_code == 409:
            return Outcome.REJECTED
        try:
            return from_word(str(self.body.get("status")))
        except ValueError:  # a 2xx without a word we know: the event was done
            return Outcome.PROCESSED


class MonolithPort(abc.ABC):
    """What a worker's handler needs from the monolith; MonolithClient is the HTTP adapter."""

    @abc.abstractmethod
    def get_mysfit(self, mysfit_id: str) -> dict[str, Any] | None:
        """The mysfit's profile, None if there is no such mysfit."""

    @abc.abstractmethod
    def fulfil(self, action: str, event: Event) -> FulfilResult:
        """Fulfil one event (``like``, ``adopt``); 2xx and 409 are results (their ``outcome``), failures raise."""

    @abc.abstractmethod
    def fulfil_likes(self, events: Sequence[Event]) -> dict[str, Outcome | Exception]:
        """Fulfil a batch of likes in one call; per event id the outcome (processed, a duplicate), or
        the exception that says what its failure means (see :func:`result_of`)."""


class MonolithClient(MonolithPort):
    """Calls the monolith with timeouts and a few quick retries; safe because fulfil is idempotent.

    The consumer calls it from several handler threads at once, and ``requests`` does not promise
    that one Session is safe to share between threads: each thread gets a session of its own
    (and so a connection pool of its own, reused across its calls).
    """

    def __init__(
        self,
        base_url: str,
        fulfil_secret: str | Callable[[], str],
        *,
        session_factory: Callable[[], requests.Session] = requests.Session,
        timeout: tuple[float, float] = (2.0, FULFIL_CALL_SECONDS),
        attempts: int = 3,
        retry_delay: float = 0.2,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        # A callable is asked on every call, so a secret re-read from its source takes effect at once.
        self._secret = fulfil_secret if callable(fulfil_secret) else (lambda: fulfil_secret)
        self._session_factory = session_factory
        self._local = threading.local()
        self._timeout = timeout
        self._attempts = attempts
        self._retry_delay = retry_delay

    def get_mysfit(self, mysfit_id: str) -> dict[str, Any] | None:
        response = self._request("GET", f"/mysfits/{mysfit_id}")
        if response.status_code == 404:
            return None
        self._raise_for_status(response)
        body: dict[str, Any] = response.json()
        return body

    def fulfil(self, action: str, event: Event) -> FulfilResult:
        """POST the event to /mysfits/<id>/fulfill-<action>; 2xx and 409 are results, other 4xx permanent."""
        response = self._request(
            "POST",
            f"/mysfits/{event.mysfit_id}/fulfill-{action}",
            json=event.to_message(),
            headers=self._fulfil_headers(event.correlation_id),
        )
        if response.status_code != 409:
            self._raise_for_status(response)
        return FulfilResult(response.status_code, _json_or_empty(response))

    def fulfil_likes(self, events: Sequence[Event]) -> dict[str, Outcome | Exception]:
        """POST a batch of likes in one call; per event id its outcome or failure (:func:`result_of`)."""
        response = self._request(
            "POST",
            _BATCH_FULFIL_PATH,
            json={"events": [event.to_message() for event in events]},
            headers=self._fulfil_headers(events[0].correlation_id),
        )
        self._raise_for_status(response)
        results = _json_or_empty(response).get("results", [])
        return {str(result["eventId"]): result_of(str(result["status"])) for result in results}

    def authorised(self) -> bool:
        """Whether the monolith accepts this worker's secret now, without fulfilling anything.

        An empty batch is refused after the secret is checked: 401/403 say the secret is wrong,
        another answer of the app (400 for the empty batch) that it is right. An answer that is not
        the app's (a 5xx from a proxy or a monolith starting up) or none at all says nothing: TransientError.
        """
        try:
            response = self._session().post(
                self._base_url + _BATCH_FULFIL_PATH,
                json={"events": []},
                headers={FULFIL_SECRET_HEADER: self._secret()},
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            raise TransientError(f"the authorisation probe got no answer: {error}") from error
        if response.status_code in _RETRYABLE_STATUSES:
            raise TransientError(f"the authorisation probe was answered {response.status_code}")
        return response.status_code not in _NOT_AUTHORISED_STATUSES

    def _fulfil_headers(self, correlation_id: str) -> dict[str, str]:
        """The secret, the correlation id, and how long this call may take (the monolith stops before)."""
        return {
            FULFIL_SECRET_HEADER: self._secret(),
            CORRELATION_HEADER: correlation_id,
            BUDGET_HEADER: str(int(self._timeout[1] * 1000)),
        }

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self._base_url + path
        last_error = ""
        busy = False
        for attempt in range(1, self._attempts + 1):
            try:
                response = self._session().request(method, url, timeout=self._timeout, **kwargs)
            except requests.RequestException as error:
                last_error, busy = f"{type(error).__name__}: {error}", False
            else:
                if response.status_code in _NOT_AUTHORISED_STATUSES:
                    raise NotAuthorised(f"{method} {path}: the monolith answered {response.status_code}")
                if response.status_code not in _RETRYABLE_STATUSES:
                    return response
                last_error = f"HTTP {response.status_code}"
                error_body = _json_or_empty(response).get("error")
                busy = isinstance(error_body, dict) and error_body.get("code") == _BUSY_CODE
            if attempt < self._attempts:
                time.sleep(self._retry_delay * 2 ** (attempt - 1))
        failure = f"{method} {path} failed after {self._attempts} attempts: {last_error}"
        raise Busy(failure) if busy else TransientError(failure)

    def _session(self) -> requests.Session:
        """This thread's session, made on its first call."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._session_factory()
        return session

    @staticmethod
    def _raise_for_status(response: requests.Response) -> None:
        if response.status_code >= 400:
            raise PermanentError(f"monolith answered {response.status_code}: {response.text[:200]}")


def result_of(word: str) -> Outcome | Exception:
    """What the batch fulfil route's word for one event means to a worker: an outcome, or the
    exception that says what the failure means for its message."""
    try:
        outcome = from_word(word)
    except ValueError:
        return TransientError(f"no result for the event from the monolith ({word})")
    if word == NOT_FOUND:
        return PermanentError("the monolith knows no such mysfit")
    if outcome is Outcome.FAILED:
        return PermanentError("the mysfit's item cannot take a like (a corrupt record); see the monolith's log")
    if outcome is Outcome.RETRIED:
        return Busy("the mysfit's item was busy; nothing was written")
    return outcome


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
