"""Adapter tests run against moto's in-process mock_aws, with the topology made from the templates.

moto is given the embedded emulator's fixes first, so that its CloudFormation creates what the
templates declare (subscriptions, queue policies, TTL) as the emulator does.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from deploy.local import Topology, deploy_local_topology
from embedded.emulator import install as install_emulator_fixes


@pytest.fixture
def topology(monkeypatch: pytest.MonkeyPatch) -> Iterator[Topology]:
    # mock_aws does not intercept requests when AWS_ENDPOINT_URL points elsewhere.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    install_emulator_fixes()
    with mock_aws():
        yield deploy_local_topology(None)


@pytest.fixture
def dynamodb(topology: Topology) -> object:
    return boto3.client("dynamodb", region_name="us-east-1")
