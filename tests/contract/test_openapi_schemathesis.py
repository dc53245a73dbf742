"""schemathesis over docs/openapi.yaml against the live monolith: no 5xx, every response as documented.

`call_and_validate` runs every built-in check: no server error; status code, content type, headers
and body as documented; schema-invalid requests rejected and valid ones accepted; 405 with `Allow`
for other methods; and a request that succeeds with the secret fails without it or with a wrong one.
Each operation gets the examples, coverage and fuzzing phases, in both positive and negative modes.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis import Case
from schemathesis.core.parameters import ParameterLocation

from embedded.system import EmbeddedSystem
from mysfits_common.monolith_client import FULFIL_SECRET_HEADER
from tests.conftest import REPO_ROOT
from tests.e2e.client import Aws

pytestmark = pytest.mark.e2e

DOCUMENT = REPO_ROOT / "docs" / "openapi.yaml"
# A mysfit of this module's own, so the pinned run can like and adopt it without touching the seed.
CONTRACT_MYSFIT = "contract-mysfit"
_GENERATION = {
    "max-examples": 25,
    "deterministic": True,  # the same examples on every run: a CI failure reproduces locally
    "database": "none",  # no replay of failures saved by earlier runs: CI and a laptop run the same cases
}

generated = schemathesis.openapi.from_path(
    DOCUMENT, config=schemathesis.Config.from_dict({"generation": _GENERATION})
)
pinned = schemathesis.openapi.from_path(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "generation": {**_GENERATION, "mode": "positive"},
            "parameters": {"path.mysfitId": CONTRACT_MYSFIT},
        }
    ),
)
fulfil_only = generated.include(path_regex=r"/fulfill-")


@pytest.fixture(scope="module")
def contract_mysfit(aws: Aws) -> str:
    return aws.add_mysfit(CONTRACT_MYSFIT)


def _with_secret(system: EmbeddedSystem) -> dict[str, str]:
    return {FULFIL_SECRET_HEADER: system.config.fulfil_secret}


def _event_names_its_url(case: Case, mysfit_id: object) -> None:
    """A valid fulfil event names the mysfit of its URL; OpenAPI cannot say that two fields are equal."""
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if positive and isinstance(case.body, dict) and "mysfitId" in case.body and isinstance(mysfit_id, str):
        case.body["mysfitId"] = mysfit_id


@generated.parametrize()
def test_generated_requests_get_documented_responses(case: Case, system: EmbeddedSystem) -> None:
    _event_names_its_url(case, (case.path_parameters or {}).get("mysfitId"))
    case.call_and_validate(base_url=system.internal_url, headers=_with_secret(system))


@pinned.parametrize()
def test_requests_for_an_existing_mysfit_get_documented_responses(
    case: Case, system: EmbeddedSystem, contract_mysfit: str
) -> None:
    _event_names_its_url(case, contract_mysfit)
    case.call_and_validate(base_url=system.internal_url, headers=_with_secret(system))


@fulfil_only.parametrize()
def test_fulfil_without_the_secret_is_always_401(case: Case, system: EmbeddedSystem) -> None:
    response = case.call_and_validate(base_url=system.internal_url)

    # Only routing comes before authentication: another method is 405, an id with a slash finds no route.
    routed = case.method == "POST" and (case.meta is None or not case.meta.is_negative_at(ParameterLocation.PATH))
    assert response.status_code == 401 or not routed
