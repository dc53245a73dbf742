"""docs/openapi.yaml is a valid OpenAPI document and names exactly the routes the monolith serves."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
import yaml
from flask import Flask
from openapi_spec_validator import validate

from monolith.app import create_app
from monolith.config import Settings
from monolith.service import MysfitsService
from mysfits_common.events import CORRELATION_ID_PATTERN, MYSFIT_ID_PATTERN
from tests.conftest import REPO_ROOT
from tests.fakes import FakeRepository, RecordingPublisher

pytestmark = pytest.mark.e2e

DOCUMENT = REPO_ROOT / "docs" / "openapi.yaml"
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Flask answers these for every rule by itself; the document lists what the views implement.
_IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return document


def _template(path: str) -> str:
    """`/mysfits/<mysfit_id>` and `/mysfits/{mysfitId}` both become `/mysfits/{}`."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def _app() -> Flask:
    return create_app(Settings(), service=MysfitsService(FakeRepository(), RecordingPublisher()))


def test_the_document_is_valid_openapi() -> None:
    validate(_document())
    schemathesis.openapi.from_path(DOCUMENT).validate()


def test_the_document_and_the_app_have_the_same_routes() -> None:
    documented = {
        (method.upper(), _template(path))
        for path, item in _document()["paths"].items()
        for method in item
        if method in _HTTP_METHODS
    }
    served = {
        (method, _template(rule.rule))
        for rule in _app().url_map.iter_rules()
        for method in (rule.methods or set()) - _IMPLICIT_METHODS
    }

    assert sorted(served - documented) == [], "served but not documented"
    assert sorted(documented - served) == [], "documented but not served"


def test_the_id_patterns_are_the_ones_the_monolith_checks() -> None:
    schemas = _document()["components"]["schemas"]

    assert schemas["MysfitId"]["pattern"] == MYSFIT_ID_PATTERN.pattern
    assert schemas["CorrelationId"]["pattern"] == CORRELATION_ID_PATTERN.pattern


_VALID_KEYS = [
    '"8e03978e-40d5-43e8-bc93-6894a57f9324"',  # the draft's form, as the website sends it
    "8e03978e-40d5-43e8-bc93-6894a57f9324",
    "a",
    '"a"',
    "!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
    "x" * 255,
    '"' + "x" * 255 + '"',
]
_INVALID_KEYS = [
    *["", '""', '"', '"a', 'a"', 'a"b', '""a""'],  # empty, or a quote left inside
    *["a\\b", "a b", "a\x7f", "é"],  # a backslash, or outside 0x21-0x7E
    *["x" * 256, '"' + "x" * 256 + '"'],  # too long
]


@pytest.mark.parametrize(
    ("key", "valid"), [(key, True) for key in _VALID_KEYS] + [(key, False) for key in _INVALID_KEYS]
)
def test_the_idempotency_key_schema_takes_exactly_the_keys_the_monolith_takes(key: str, valid: bool) -> None:
    """1 to 255 of 0x21-0x7E but `"` and `\\`, once one pair of surrounding quotes is removed: what
    schemathesis generates as valid must be valid to the monolith, and the reverse."""
    schema = _document()["components"]["schemas"]["IdempotencyKey"]

    within_lengths = schema["minLength"] <= len(key) <= schema["maxLength"]
    assert (within_lengths and re.fullmatch(schema["pattern"], key) is not None) is valid
