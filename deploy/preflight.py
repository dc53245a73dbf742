"""What a deploy can check before it creates anything: ``python -m deploy.aws preflight``.

Each check is one line: ``ok``, ``warn`` (the deploy may go on; the line says what to watch) or
``FAIL`` (the deploy would fail; the line says what to do first). ``deploy`` runs the same checks
first and stops on a failure, so that a new account's first deploy does not fail halfway:

- the credentials (whose account) and the region (it has CloudFront's origin-facing prefix list);
- the Fargate On-Demand vCPU quota against what the chosen sizes need: every service at its
  minimum, twice over while a deployment runs old and new tasks side by side (MaximumPercent 200),
  and, as a warning, at autoscaling's maximum;
- the service-linked roles the stacks use (ECS's the deploy creates; the others their services
  create on first use, with the caller's ``iam:CreateServiceLinkedRole``);
- the templates against CloudFormation's limits (51,200 bytes inline, else through S3 up to 1 MB;
  500 resources);
- CloudFront: an account with no distribution yet may be refused until AWS verifies it, which no
  API tells in advance (docs/DEPLOY.md says what to do).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from deploy.cloudfront import ORIGIN_FACING_PREFIX_LIST, origin_facing_prefix_list_id
from deploy.parameters import stack_name, stack_parameters
from deploy.service_roles import ECS_SERVICE_LINKED_ROLE, role_exists
from deploy.stacks import stack_parameters_now
from deploy.templates import MAX_TEMPLATE_BODY_BYTES, load_template, parameter_values

if TYPE_CHECKING:
    from deploy.aws import DeployOptions

__all__ = ["FARGATE_VCPU_QUOTA", "Finding", "run_preflight"]

#: Service Quotas' "Fargate On-Demand vCPU resource count" (service code ``fargate``).
FARGATE_VCPU_QUOTA = "L-3032A538"
#: CloudFormation reads a template from S3 (TemplateURL) up to this size.
MAX_TEMPLATE_URL_BYTES = 1_000_000
MAX_RESOURCES = 500
#: Service-linked roles of the services the stacks use, besides ECS's, and who creates them.
OTHER_SERVICE_LINKED_ROLES = {
    "AWSServiceRoleForElasticLoadBalancing": "the load balancer's creation",
    "AWSServiceRoleForApplicationAutoScaling_ECSService": "the services' scaling targets",
}

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    status: Status
    subject: str
    message: str

    def line(self) -> str:
        return f"{'FAIL' if self.status == 'fail' else self.status:<4}  {self.subject}: {self.message}"


def run_preflight(
    client: Callable[[str], Any],
    options: DeployOptions,
    region: str | None,
    template_dir: Path,
    components: Sequence[str],
) -> list[Finding]:
    """Every check, in the order above; nothing is created or changed."""
    identity = _credentials(client)
    findings = [identity, _region(client, region)]
    if identity.status == "fail":
        return findings  # every other check would fail the same way
    findings.append(_fargate_quota(client, options, template_dir))
    findings.extend(_service_linked_roles(client))
    findings.append(_templates(template_dir, components))
    findings.append(_cloudfront(client))
    return findings


def _why(error: Exception) -> str:
    """An AWS error in a few words on one line (an emulator may answer a page of HTML)."""
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        text = f"{detail.get('Code', 'error')}: {detail.get('Message', '')}"
    else:
        text = str(error)
    words = " ".join(text.split())
    return words if len(words) <= 160 else words[:157] + "..."


def _credentials(client: Callable[[str], Any]) -> Finding:
    try:
        identity = client("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        why = _why(exc)
        return Finding("fail", "credentials", f"refused ({why}): renew them (aws sso login) or choose another profile")
    return Finding("ok", "credentials", f"account {identity['Account']} as {identity['Arn']}")


def _region(client: Callable[[str], Any], region: str | None) -> Finding:
    try:
        prefix_list = origin_facing_prefix_list_id(client("ec2"))
    except (ClientError, BotoCoreError) as exc:
        return Finding("fail", "region", f"{region}: cannot look up {ORIGIN_FACING_PREFIX_LIST} ({_why(exc)})")
    if prefix_list is None:
        return Finding("fail", "region", f"{region} has no {ORIGIN_FACING_PREFIX_LIST}: choose another region")
    return Finding("ok", "region", f"{region} ({ORIGIN_FACING_PREFIX_LIST} is {prefix_list})")


def _services_values(client: Callable[[str], Any], options: DeployOptions, template_dir: Path) -> dict[str, str]:
    """The services stack's parameters as the next deploy will have them: what it keeps, what it sets."""
    template = load_template(template_dir / "services.yaml")
    kept = stack_parameters_now(client("cloudformation"), stack_name(options.project, "services")) or {}
    given = stack_parameters("services", options, "preflight", {"website": {"WebsiteUrl": ""}})
    declared = template.get("Parameters") or {}
    return parameter_values(template, {**{k: v for k, v in kept.items() if k in declared}, **given})


def _fargate_quota(client: Callable[[str], Any], options: DeployOptions, template_dir: Path) -> Finding:
    values = _services_values(client, options, template_dir)
    monolith, worker = int(values["MonolithCpu"]) / 1024, int(values["WorkerCpu"]) / 1024
    at_minimum = int(values["MonolithMinTasks"]) * monolith + 2 * int(values["WorkerMinTasks"]) * worker
    at_maximum = int(values["MonolithMaxTasks"]) * monolith + 2 * int(values["WorkerMaxTasks"]) * worker
    during_deploy = math.ceil(2 * at_minimum)
    quotas = client("service-quotas")
    try:
        try:
            quota = quotas.get_service_quota(ServiceCode="fargate", QuotaCode=FARGATE_VCPU_QUOTA)["Quota"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchResourceException":
                raise
            quota = quotas.get_aws_default_service_quota(ServiceCode="fargate", QuotaCode=FARGATE_VCPU_QUOTA)["Quota"]
    except (ClientError, BotoCoreError) as exc:
        return Finding(
            "warn",
            "Fargate vCPUs",
            f"cannot read the quota ({_why(exc)}); a deploy needs {during_deploy}: check fargate {FARGATE_VCPU_QUOTA} "
            "in the Service Quotas console",
        )
    granted = float(quota["Value"])
    sizes = f"monolith {values['MonolithCpu']}, workers {values['WorkerCpu']} CPU units"
    if granted < during_deploy:
        return Finding(
            "fail",
            "Fargate vCPUs",
            f"{granted:g} granted, {during_deploy} needed while a deployment replaces the tasks ({sizes}): request "
            f"an increase of fargate {FARGATE_VCPU_QUOTA} in Service Quotas (or deploy with --small-workers)",
        )
    if granted < at_maximum:
        return Finding(
            "warn",
            "Fargate vCPUs",
            f"{granted:g} granted: enough to deploy ({during_deploy}), not for autoscaling's maximum ({at_maximum:g}); "
            f"request an increase of fargate {FARGATE_VCPU_QUOTA} before the traffic comes",
        )
    return Finding("ok", "Fargate vCPUs", f"{granted:g} granted, {during_deploy} to deploy, {at_maximum:g} at most")


def _service_linked_roles(client: Callable[[str], Any]) -> list[Finding]:
    iam = client("iam")
    creators = {ECS_SERVICE_LINKED_ROLE: "the deploy, before any stack", **OTHER_SERVICE_LINKED_ROLES}
    findings = []
    for role, creator in creators.items():
        try:
            exists = role_exists(iam, role)
        except (ClientError, BotoCoreError) as exc:
            findings.append(Finding("warn", role, f"cannot tell whether it exists ({_why(exc)})"))
            continue
        message = "exists" if exists else f"absent: created by {creator} (needs iam:CreateServiceLinkedRole)"
        findings.append(Finding("ok", role, message))
    return findings


def _templates(template_dir: Path, components: Sequence[str]) -> Finding:
    problems, through_s3 = [], []
    for component in components:
        path = template_dir / f"{component}.yaml"
        size = path.stat().st_size
        resources = len(load_template(path)["Resources"])
        if size > MAX_TEMPLATE_URL_BYTES:
            problems.append(f"{path.name} is {size} bytes (CloudFormation takes at most {MAX_TEMPLATE_URL_BYTES})")
        elif size > MAX_TEMPLATE_BODY_BYTES:
            through_s3.append(path.name)
        if resources > MAX_RESOURCES:
            problems.append(f"{path.name} declares {resources} resources (at most {MAX_RESOURCES})")
    if problems:
        return Finding("fail", "templates", "; ".join(problems) + ": split the template")
    largest = max(components, key=lambda c: (template_dir / f"{c}.yaml").stat().st_size)
    size = (template_dir / f"{largest}.yaml").stat().st_size
    via = f"; through S3: {', '.join(through_s3)}" if through_s3 else ""
    limits = f"largest {largest}.yaml, {size} bytes of {MAX_TEMPLATE_BODY_BYTES} inline{via}"
    return Finding("ok", "templates", f"within CloudFormation's limits ({limits})")


def _cloudfront(client: Callable[[str], Any]) -> Finding:
    try:
        listed = client("cloudfront").list_distributions(MaxItems="1")["DistributionList"]
    except (ClientError, BotoCoreError) as exc:
        return Finding("warn", "CloudFront", f"cannot list distributions ({_why(exc)})")
    if listed.get("Quantity", 0):
        return Finding("ok", "CloudFront", "the account already has a distribution")
    return Finding(
        "warn",
        "CloudFront",
        "no distribution yet: a new account may be refused until AWS verifies it ('Your account must be verified "
        "before you can add new CloudFront resources'); if the website stack fails so, ask AWS Support "
        "(docs/DEPLOY.md), then deploy again",
    )
