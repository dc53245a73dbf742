"""Idempotent CloudFormation stack deployment: create if absent, update if present, wait, report.

Works the same against AWS, LocalStack and moto (the client decides where requests go).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from deploy.templates import fits_template_body, load_template_text, parameter_values, template_body, template_text

__all__ = [
    "DeployError",
    "IncompleteStack",
    "MissingStack",
    "check_parameters",
    "deploy_stack",
    "stack_outputs",
    "stack_parameters_now",
    "stack_status",
    "waiter_config",
]

logger = logging.getLogger(__name__)

_NO_UPDATES = "No updates are to be performed"
# A stack whose creation failed: CloudFormation can neither update nor reuse it, only delete it.
# ROLLBACK_COMPLETE on AWS; CREATE_FAILED where rollback is off (LocalStack leaves it so);
# ROLLBACK_FAILED when even the rollback failed.
_FAILED_CREATION = ("ROLLBACK_COMPLETE", "CREATE_FAILED", "ROLLBACK_FAILED")


class DeployError(RuntimeError):
    """A stack could not be deployed. ``reasons`` holds the failure reasons CloudFormation gave."""

    def __init__(self, stack_name: str, message: str, reasons: Sequence[str] = ()) -> None:
        self.stack_name = stack_name
        self.reasons = list(reasons)
        text = f"stack {stack_name}: {message}"
        if self.reasons:
            text += "\n" + "\n".join(f"  - {reason}" for reason in self.reasons)
        super().__init__(text)


class MissingStack(DeployError):
    """The stack a command reads does not exist on this target."""

    def __init__(self, stack_name: str) -> None:
        super().__init__(stack_name, "does not exist")


class IncompleteStack(DeployError):
    """The stack exists but lacks outputs a command reads: still being created, or rolled back."""

    def __init__(self, stack_name: str, status: str, missing: Sequence[str]) -> None:
        super().__init__(
            stack_name,
            f"{status}, without the outputs {', '.join(missing)}: wait until it is complete, or deploy it again",
        )


def check_parameters(
    template: Mapping[str, Any], parameters: Mapping[str, str], *, kept: Collection[str] = ()
) -> list[str]:
    """Problems with ``parameters`` against the template's declarations, as CloudFormation would
    report them (unknown name, missing value, AllowedPattern, AllowedValues, lengths, bounds).
    ``kept`` names the parameters a stack update keeps at their previous values: they need none.

    Emulators do not all enforce these constraints; checking here makes a bad value fail the same
    way everywhere.
    """
    declared: Mapping[str, Any] = template.get("Parameters") or {}
    problems = [f"{name}: not a parameter of the template" for name in parameters if name not in declared]
    for name, spec in declared.items():
        if not isinstance(spec, Mapping):
            continue
        if name not in parameters:
            if "Default" not in spec and name not in kept:
                problems.append(f"{name}: a value is required")
            continue
        value = str(parameters[name])
        allowed = spec.get("AllowedValues")
        if allowed is not None and value not in [str(item) for item in allowed]:
            problems.append(f"{name}: {value!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and re.fullmatch(str(pattern), value) is None:
            problems.append(f"{name}: {value!r} does not match {pattern!r}")
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            problems.append(f"{name}: shorter than {spec['MinLength']}")
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            problems.append(f"{name}: longer than {spec['MaxLength']}")
        if spec.get("Type") == "Number":
            try:
                number = float(value)
            except ValueError:
                problems.append(f"{name}: {value!r} is not a number")
                continue
            if "MinValue" in spec and number < float(spec["MinValue"]):
                problems.append(f"{name}: {value} is below {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                problems.append(f"{name}: {value} is above {spec['MaxValue']}")
    return problems


def _describe(cfn: Any, stack_name: str) -> dict[str, Any] | None:
    """The stack's description, or None when no such (live) stack exists."""
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", ""):
            return None
        raise
    if not stacks or stacks[0].get("StackStatus") == "DELETE_COMPLETE":
        return None
    stack: dict[str, Any] = stacks[0]
    return stack


def _parameters_of(stack: Mapping[str, Any]) -> dict[str, str]:
    """The parameter values a described stack has now."""
    return {p["ParameterKey"]: str(p.get("ParameterValue", "")) for p in stack.get("Parameters", [])}


def stack_parameters_now(cfn: Any, stack_name: str) -> dict[str, str] | None:
    """The stack's parameter values now, or None when it does not exist."""
    stack = _describe(cfn, stack_name)
    return None if stack is None else _parameters_of(stack)


def stack_status(cfn: Any, stack_name: str) -> str | None:
    """The stack's status (``CREATE_COMPLETE``...), or None when it does not exist."""
    stack = _describe(cfn, stack_name)
    return None if stack is None else str(stack["StackStatus"])


def stack_outputs(cfn: Any, stack_name: str, required: Sequence[str] = ()) -> dict[str, str]:
    """The stack's outputs as ``{OutputKey: OutputValue}``; IncompleteStack if one of ``required`` is
    not among them."""
    stack = _describe(cfn, stack_name)
    if stack is None:
        raise MissingStack(stack_name)
    outputs = {out["OutputKey"]: str(out["OutputValue"]) for out in stack.get("Outputs", [])}
    if missing := [key for key in required if key not in outputs]:
        raise IncompleteStack(stack_name, str(stack["StackStatus"]), missing)
    return outputs


def _failure_reasons(cfn: Any, stack_name: str) -> list[str]:
    """Failure reasons of the stack's latest operation, oldest first (the root cause comes first)."""
    try:
        stack = _describe(cfn, stack_name)
        if stack is None:
            return []
        events: list[dict[str, Any]] = []
        for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack_name):
            events.extend(page.get("StackEvents", []))
    except ClientError as exc:
        return [f"(stack events unavailable: {exc})"]
    reasons: list[str] = []
    # Events come newest first; the latest operation began at the stack's own
    # CREATE_IN_PROGRESS / UPDATE_IN_PROGRESS event.
    for event in events:
        status = str(event.get("ResourceStatus", ""))
        reason = event.get("ResourceStatusReason")
        if status.endswith("_FAILED") and reason:
            reasons.append(f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}) {status}: {reason}")
        if event.get("ResourceType") == "AWS::CloudFormation::Stack" and status in (
            "CREATE_IN_PROGRESS",
            "UPDATE_IN_PROGRESS",
        ):
            break
    reasons.reverse()
    if stack.get("StackStatusReason"):
        reasons.append(f"stack {stack['StackStatus']}: {stack['StackStatusReason']}")
    return reasons


def waiter_config(poll_delay: float, timeout: float) -> dict[str, float]:
    """A boto3 waiter's ``WaiterConfig``: ask every ``poll_delay`` seconds for at least ``timeout`` seconds."""
    delay = max(poll_delay, 0.1)
    return {"Delay": delay, "MaxAttempts": max(1, math.ceil(timeout / delay))}


def _wait(cfn: Any, waiter_name: str, stack_name: str, poll_delay: float, timeout: float) -> None:
    waiter = cfn.get_waiter(waiter_name)
    try:
        waiter.wait(StackName=stack_name, WaiterConfig=waiter_config(poll_delay, timeout))
    except WaiterError as exc:
        status = stack_status(cfn, stack_name)
        raise DeployError(
            stack_name,
            f"{waiter_name.replace('_', ' ')} failed (status {status}): {exc}",
            _failure_reasons(cfn, stack_name),
        ) from exc


def _wait_until_settled(cfn: Any, stack_name: str, poll_delay: float, timeout: float) -> dict[str, Any] | None:
    """Wait while another operation on the stack is in progress; return its settled description."""
    deadline = time.monotonic() + timeout
    while True:
        stack = _describe(cfn, stack_name)
        if stack is None or not str(stack["StackStatus"]).endswith("_IN_PROGRESS"):
            return stack
        if stack["StackStatus"] == "REVIEW_IN_PROGRESS":
            raise DeployError(stack_name, "has a change set awaiting review (REVIEW_IN_PROGRESS)")
        if time.monotonic() > deadline:
            raise DeployError(
                stack_name,
                f"still {stack['StackStatus']} after {timeout:.0f} s (moto leaves a stack whose creation "
                "failed in CREATE_IN_PROGRESS for good: restart the emulator or delete the stack)",
            )
        logger.info("stack %s is %s; waiting", stack_name, stack["StackStatus"])
        time.sleep(max(poll_delay, 0.1))


def deploy_stack(
    cfn_client: Any,
    stack_name: str,
    template_path: str | Path,
    parameters: Mapping[str, str] | None = None,
    *,
    capabilities: Sequence[str] = (),
    tags: Mapping[str, str] | None = None,
    template_store: Callable[[str, str], str] | None = None,
    keep_previous: bool = False,
    announce: Callable[[str], None] | None = None,
    poll_delay: float = 5.0,
    timeout: float = 3600.0,
) -> dict[str, str]:
    """Create or update ``stack_name`` from the template and wait; return the stack's outputs.

    A template too big for ``TemplateBody`` goes through ``template_store`` (stack name, text ->
    ``TemplateURL``, e.g. :class:`~deploy.templates.S3TemplateStore`); without one it is refused.

    With ``keep_previous``, an update keeps every parameter not in ``parameters`` at the value the
    stack has (CloudFormation's ``UsePreviousValue``): a later deploy keeps what an earlier one
    chose. ``announce`` is told each parameter of an existing stack that changes, one line each.

    Idempotent: an absent stack is created, a present one updated, and "No updates are to be
    performed" is success. A stack left by an earlier failed creation (ROLLBACK_COMPLETE,
    CREATE_FAILED, ROLLBACK_FAILED: CloudFormation can neither update nor reuse it) is deleted and
    created again. Any failure raises
    :class:`DeployError` carrying the failure reasons from the stack's events.
    """
    explicit = dict(parameters or {})
    text = template_text(template_path)
    template = load_template_text(text)
    # Checked before any call; with keep_previous, what needs the values the stack keeps is checked
    # again once they are known (still before any change).
    declared = template.get("Parameters") or {}
    if keep_previous:
        problems = check_parameters(template, explicit, kept=declared)
    else:
        problems = check_parameters(template, explicit)
    if problems:
        raise DeployError(stack_name, "invalid parameters", problems)

    stack = _wait_until_settled(cfn_client, stack_name, poll_delay, timeout)
    if stack is not None and stack["StackStatus"] in _FAILED_CREATION:
        logger.warning("stack %s is %s after a failed creation; deleting it first", stack_name, stack["StackStatus"])
        cfn_client.delete_stack(StackName=stack_name)
        _wait(cfn_client, "stack_delete_complete", stack_name, poll_delay, timeout)
        stack = None

    previous = _parameters_of(stack) if stack is not None and keep_previous else {}
    kept = [name for name in declared if name in previous and name not in explicit]
    values = {**parameter_values(template, explicit), **{name: previous[name] for name in kept}}
    problems = check_parameters(template, values)
    if problems:
        raise DeployError(stack_name, "invalid parameters", problems)
    if stack is not None and announce is not None:
        for name, value in values.items():
            if name in previous and previous[name] != value:
                announce(f"{stack_name}: {name} {previous[name] or '(empty)'} -> {value or '(empty)'}")
    # Parameters neither given nor kept take their template defaults, on create and on update alike;
    # sending them explicitly changes nothing on AWS and lets emulators recognise an unchanged stack.
    cfn_parameters = [
        {"ParameterKey": key, **({"UsePreviousValue": True} if key in kept else {"ParameterValue": value})}
        for key, value in values.items()
    ]
    if fits_template_body(text) or template_store is None:
        source = {"TemplateBody": template_body(template_path)}
    else:
        source = {"TemplateURL": template_store(stack_name, text)}
    common: dict[str, Any] = {"StackName": stack_name, **source, "Parameters": cfn_parameters}
    if capabilities:
        common["Capabilities"] = list(capabilities)
    if tags:
        common["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]

    try:
        if stack is None:
            logger.info("creating stack %s from %s", stack_name, template_path)
            cfn_client.create_stack(**common)
            _wait(cfn_client, "stack_create_complete", stack_name, poll_delay, timeout)
        else:
            logger.info("updating stack %s (%s) from %s", stack_name, stack["StackStatus"], template_path)
            try:
                cfn_client.update_stack(**common)
            except ClientError as exc:
                if _NO_UPDATES in str(exc.response.get("Error", {}).get("Message", "")):
                    logger.info("stack %s is up to date", stack_name)
                    return stack_outputs(cfn_client, stack_name)
                raise
            _wait(cfn_client, "stack_update_complete", stack_name, poll_delay, timeout)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        # The request itself was refused (invalid template or parameters...): the message says why.
        raise DeployError(stack_name, f"{error.get('Code', 'error')}: {error.get('Message', exc)}") from exc
    return stack_outputs(cfn_client, stack_name)
