"""The marker TTL travels from `make run`'s environment to the monolith's settings."""

from __future__ import annotations

import pytest

from embedded.system import EmbeddedSystem, SystemConfig
from monolith.config import Settings


def test_the_marker_ttl_defaults_to_seven_days() -> None:
    assert Settings.from_env({}).marker_ttl_seconds == 7 * 24 * 3600


def test_the_marker_ttl_comes_from_the_environment() -> None:
    assert Settings.from_env({"MARKER_TTL_SECONDS": "90"}).marker_ttl_seconds == 90


@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_marker_ttl_that_is_not_positive_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="MARKER_TTL_SECONDS"):
        Settings.from_env({"MARKER_TTL_SECONDS": value})


def test_make_run_passes_its_marker_ttl_to_the_services() -> None:
    config = SystemConfig.from_env({"MARKER_TTL_SECONDS": "30"})
    assert config.marker_ttl_seconds == 30
    assert EmbeddedSystem(config)._marker_ttl_env() == {"MARKER_TTL_SECONDS": "30"}
    assert EmbeddedSystem(SystemConfig.from_env({}))._marker_ttl_env() == {}
