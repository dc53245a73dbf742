"""The service-linked roles a first deploy needs before CloudFormation creates anything with them.

ECS creates ``AWSServiceRoleForECS`` itself the first time an account uses it, but a stack that
creates a cluster and its services together races that creation, and on an account that has never
used ECS the services fail with "Unable to assume the service linked role". So the deploy creates
the role first and waits until IAM returns it.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from deploy.errors import DeployFailure
from deploy.stacks import waiter_config

__all__ = ["ECS_SERVICE", "ECS_SERVICE_LINKED_ROLE", "ensure_ecs_service_linked_role", "role_exists"]

logger = logging.getLogger(__name__)

ECS_SERVICE = "ecs.amazonaws.com"
ECS_SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"


def role_exists(iam: Any, role_name: str) -> bool:
    """Whether IAM returns the role now."""
    try:
        iam.get_role(RoleName=role_name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return False
        raise
    return True


def ensure_ecs_service_linked_role(iam: Any, *, poll_delay: float, timeout: float) -> bool:
    """Create ECS's service-linked role unless it exists, and wait until IAM returns it; True when
    it was created now. Another deploy creating it meanwhile ("has been taken") is no failure."""
    if role_exists(iam, ECS_SERVICE_LINKED_ROLE):
        return False
    try:
        iam.create_service_linked_role(AWSServiceName=ECS_SERVICE)
        created = True
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") != "InvalidInput" or "has been taken" not in str(error.get("Message", "")):
            raise DeployFailure(
                f"cannot create ECS's service-linked role {ECS_SERVICE_LINKED_ROLE} "
                f"({error.get('Code')}: {error.get('Message')}); nothing was deployed. Ask an administrator to run "
                f"`aws iam create-service-linked-role --aws-service-name {ECS_SERVICE}` once in this account."
            ) from exc
        created = False
    logger.info("waiting for IAM to return the service-linked role %s", ECS_SERVICE_LINKED_ROLE)
    try:
        iam.get_waiter("role_exists").wait(
            RoleName=ECS_SERVICE_LINKED_ROLE, WaiterConfig=waiter_config(poll_delay, timeout)
        )
    except WaiterError as exc:
        raise DeployFailure(f"IAM does not return {ECS_SERVICE_LINKED_ROLE} after {timeout:.0f} s: {exc}") from exc
    return created
