"""Helpers shared by the infrastructure tests."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "infra" / "cloudformation"


def venv_command(script: str, module_main: str) -> list[str]:
    """The console script installed next to this interpreter, else ``python -c`` of its entry point."""
    candidate = Path(sys.executable).parent / script
    if candidate.exists():
        return [str(candidate)]
    found = shutil.which(script)
    if found:
        return [found]
    module, func = module_main.split(":")
    return [sys.executable, "-c", f"import sys; from {module} import {func}; sys.exit({func}())"]


@dataclass(frozen=True)
class AwsClients:
    """CloudFormation, SNS, SQS and DynamoDB clients that all talk to the same place (an emulator)."""

    cloudformation: Any
    sns: Any
    sqs: Any
    dynamodb: Any

    @classmethod
    def from_session(cls, session: boto3.session.Session, endpoint_url: str | None = None) -> AwsClients:
        """Clients from ``session``; ``endpoint_url=None`` keeps boto3's standard configuration
        (including the ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` variables)."""
        kwargs: dict[str, Any] = {} if endpoint_url is None else {"endpoint_url": endpoint_url}
        return cls(
            cloudformation=session.client("cloudformation", **kwargs),
            sns=session.client("sns", **kwargs),
            sqs=session.client("sqs", **kwargs),
            dynamodb=session.client("dynamodb", **kwargs),
        )
