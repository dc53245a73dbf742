"""The failures the deploy tools expect, reported as one line each (read by :func:`deploy.cli.explain`)."""

from __future__ import annotations

__all__ = ["DeployFailure", "MissingCredentials", "MissingRegion"]


class DeployFailure(RuntimeError):
    """The deploy or teardown cannot go on; the message says why and what to do."""


class MissingCredentials(DeployFailure):
    """boto3 found no AWS credentials."""


class MissingRegion(DeployFailure):
    """boto3 found no AWS region."""
