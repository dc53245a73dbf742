"""Bad requests get the right JSON error from the real gunicorn-served monolith."""

from __future__ import annotations

import pytest
import requests

from mysfits_common.events import LikeRequested
from tests.e2e.client import Api

pytestmark = pytest.mark.e2e


def assert_json_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(response.json()["error"]) == {"code", "message"}


def test_an_unknown_id_is_404(api: Api) -> None:
    assert_json_error(api.get("/mysfits/no-such-mysfit"), 404)
    assert_json_error(api.post("/mysfits/no-such-mysfit/like"), 404)
    assert_json_error(api.post("/mysfits/no-such-mysfit/adopt"), 404)


def test_a_bad_filter_is_400(api: Api) -> None:
    assert_json_error(api.get("/mysfits", params={"filter": "Colour", "value": "Blue"}), 400)
    assert_json_error(api.get("/mysfits", params={"filter": "GoodEvil"}), 400)


def test_a_malformed_body_is_400_and_a_wrong_content_type_415(api: Api, mysfit_id: str) -> None:
    headers = {"Content-Type": "application/json"}
    assert_json_error(api.post(f"/mysfits/{mysfit_id}/like", data="{broken", headers=headers), 400)
    assert_json_error(api.post(f"/mysfits/{mysfit_id}/like", data="x=1", headers={"Content-Type": "text/plain"}), 415)


def test_an_oversized_body_is_413(api: Api, mysfit_id: str) -> None:
    response = api.post(f"/mysfits/{mysfit_id}/like", data="[" + "1," * 20000 + "1]",
                        headers={"Content-Type": "application/json"})
    assert_json_error(response, 413)


def test_fulfil_without_the_secret_is_401_and_counts_nothing(api: Api, internal: Api, mysfit_id: str) -> None:
    event = LikeRequested(mysfit_id=mysfit_id)

    assert_json_error(internal.post(f"/mysfits/{mysfit_id}/fulfill-like", json=event.to_message()), 401)
    wrong = {"X-Fulfil-Secret": "guess"}
    assert_json_error(internal.post(f"/mysfits/{mysfit_id}/fulfill-like", json=event.to_message(), headers=wrong), 401)

    assert api.likes(mysfit_id) == 0


def test_fulfil_and_readiness_are_not_on_the_public_port(api: Api, mysfit_id: str) -> None:
    event = LikeRequested(mysfit_id=mysfit_id)

    assert_json_error(api.post(f"/mysfits/{mysfit_id}/fulfill-like", json=event.to_message()), 404)
    assert_json_error(api.get("/ready"), 404)


def test_readiness_says_ready(internal: Api) -> None:
    body = internal.get("/ready").json()

    assert body["ready"] is True
    assert body["checks"] == {"dynamodb": "ok", "sns": "ok"}
