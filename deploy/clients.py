"""The boto3 clients the deploy tooling needs, built from one session and one (optional) endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

__all__ = ["AwsClients"]


@dataclass(frozen=True)
class AwsClients:
    """CloudFormation, SNS, SQS and DynamoDB clients that all talk to the same place."""

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
