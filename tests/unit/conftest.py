"""Fakes shared by the unit tests."""

from __future__ import annotations

import pytest

from tests.fakes import FakeRepository, RecordingPublisher


@pytest.fixture
def repository() -> FakeRepository:
    return FakeRepository()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()
