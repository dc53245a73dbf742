"""How the deploy tools' failures read, on top of boto3's in :mod:`mysfits_common.cli` (the one way
every tool reports; its exit codes are listed there): a missing stack, a template or parameters
CloudFormation would refuse, endpoints that split a template, an unavailable store. A tool that
deploys or reads stacks passes both to :func:`mysfits_common.cli.report_failures`::

    report_failures(tool, action, expected=deploy.cli.EXPECTED_FAILURES, explained=deploy.cli.explain)
"""

from __future__ import annotations

from deploy.endpoints import MixedEndpoints
from deploy.errors import DeployFailure, MissingCredentials, MissingRegion
from deploy.stacks import DeployError, IncompleteStack, MissingStack
from deploy.templates import TemplateError
from monolith.domain import DependencyUnavailable
from mysfits_common import cli
from mysfits_common.cli import CommandError, Exit

__all__ = ["EXPECTED_FAILURES", "explain"]

#: What a deploy, ops or bench tool reports in one line; anything else is a bug and keeps its traceback.
EXPECTED_FAILURES: tuple[type[BaseException], ...] = (
    *cli.EXPECTED_FAILURES,
    DeployFailure,
    DeployError,
    TemplateError,
    MixedEndpoints,
    DependencyUnavailable,
)


def explain(error: BaseException) -> CommandError:
    """The user's reading of an exception from boto3 or the deploy tooling: a line and an exit code."""
    if isinstance(error, MissingStack):
        return CommandError(
            f"{error.stack_name}: no such stack on this target "
            "(deploy it first: make run, or python -m deploy.aws deploy)",
            Exit.MISSING_STACK,
        )
    if isinstance(error, IncompleteStack):
        return CommandError(str(error), Exit.MISSING_STACK)
    if isinstance(error, MissingCredentials):  # its message says what to set
        return CommandError(str(error), Exit.CREDENTIALS)
    if isinstance(error, MissingRegion):
        return CommandError(str(error), Exit.USAGE)
    if isinstance(error, MixedEndpoints):
        return CommandError(f"{error} (point them at one with AWS_ENDPOINT_URL_<SERVICE>)", Exit.USAGE)
    if isinstance(error, DeployFailure | DeployError | TemplateError):  # their message says it all
        return CommandError(str(error))
    return cli.explain(error, unavailable=(DependencyUnavailable,))
