"""What can go wrong for an operator, as one line and an exit code a script can rely on."""

from __future__ import annotations

import enum

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from deploy.stacks import DeployError

__all__ = ["Exit", "OpsError", "explain"]


class Exit(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    MISSING_STACK = 3
    CREDENTIALS = 4
    UNREACHABLE = 5
    REFUSED = 6


class OpsError(Exception):
    """An expected failure: ``str(error)`` is the line the operator reads."""

    def __init__(self, message: str, code: Exit = Exit.FAILED) -> None:
        super().__init__(message)
        self.code = code


_CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
}


def explain(error: Exception) -> OpsError:
    """The operator's reading of an exception from boto3 or the deploy tooling."""
    if isinstance(error, OpsError):
        return error
    if isinstance(error, DeployError):
        return OpsError(
            f"{error.stack_name}: no such stack on this target "
            "(deploy it first: make run, or python -m deploy.aws deploy)",
            Exit.MISSING_STACK,
        )
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return OpsError(f"no AWS credentials: {error}", Exit.CREDENTIALS)
    if isinstance(error, NoRegionError):
        return OpsError("no AWS region: set AWS_REGION or AWS_DEFAULT_REGION", Exit.USAGE)
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return OpsError(f"endpoint unreachable: {error}", Exit.UNREACHABLE)
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = str(details.get("Code", "")), str(details.get("Message", error))
        if code in _CREDENTIAL_CODES:
            return OpsError(f"credentials refused ({code}): {message}", Exit.CREDENTIALS)
        return OpsError(f"{code}: {message}")
    if isinstance(error, BotoCoreError):
        return OpsError(str(error))
    return OpsError(f"{type(error).__name__}: {error}")
