"""Deploy the whole system to AWS, or tear it down: ``python -m deploy.aws preflight|deploy|teardown``.

boto3 alone makes every AWS call (no AWS CLI needed); the docker CLI builds and pushes the images.
``deploy``, idempotent:

0. ECS's service-linked role, unless the account has it (:mod:`deploy.service_roles`);
1. the ``registry`` stack (one ECR repository per service);
2. the three images, built from the repository root and pushed tagged with the git commit SHA
   (never ``latest``; a tag already in ECR is not rebuilt: tags are immutable);
3. the stacks ``network``, ``data``, ``messaging``, ``ingress``, ``website``, ``services`` and
   ``alarms``, in that order (but for ``network`` after ``services`` when NAT gateways go away:
   :func:`deployment_order`), wired by exports and the parameters below;
4. ``website/`` uploaded to the site bucket with a ``config.js`` naming the API, the CloudFront
   cache invalidated, the catalogue seeded (missing mysfits only), the URLs printed.

``preflight`` checks what can be checked before anything is created (:mod:`deploy.preflight`), one
line each; ``deploy`` runs it first and stops on a failure.

``teardown`` deletes the stacks in the reverse order, emptying the site and access-log buckets
first (the registry's repositories delete their images themselves: ``EmptyOnDelete``), and deletes
the tables that the data stack retains (``--keep-data`` keeps the data stack, tables and all, for
the next ``deploy`` to update in place). Both refuse to start without AWS credentials.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, TextIO, get_args

import boto3

from deploy.cli import EXPECTED_FAILURES, explain
from deploy.cloudfront import ORIGIN_FACING_PREFIX_LIST, origin_facing_prefix_list_id
from deploy.errors import DeployFailure, MissingCredentials, MissingRegion
from deploy.images import REPO_ROOT, SERVICES, CommandRunner, Images, run_command
from deploy.indexes import step_through_indexes
from deploy.parameters import ApiOrigin, NatChoice, stack_name, stack_parameters
from deploy.preflight import Finding, run_preflight
from deploy.retained import import_retained_tables
from deploy.service_roles import ensure_ecs_service_linked_role
from deploy.site import config_script, invalidate_all, upload_site
from deploy.stacks import deploy_stack, stack_parameters_now
from deploy.teardown import Teardown
from deploy.templates import S3TemplateStore
from monolith.seed import seed_table
from mysfits_common.cli import CommandError, Exit, configure_command_logging, report_failures

__all__ = [
    "COMPONENTS",
    "REPO_ROOT",
    "SERVICES",
    "AwsDeployer",
    "CommandRunner",
    "DeployFailure",
    "DeployOptions",
    "MissingCredentials",
    "MissingRegion",
    "config_script",
    "deploy_options",
    "deployment_order",
    "main",
    "new_deployment_choices",
    "require_credentials",
    "stack_name",
    "stack_parameters",
]

logger = logging.getLogger(__name__)

TEMPLATE_DIR = REPO_ROOT / "infra" / "cloudformation"

#: Deployment order; teardown goes the other way. Each is ``{project}-{component}`` from
#: ``infra/cloudformation/{component}.yaml``.
COMPONENTS = ("registry", "network", "data", "messaging", "ingress", "website", "services", "alarms")
_CAPABILITIES = {"services": ("CAPABILITY_IAM",)}

_AWS_POLL_DELAY = 10.0
_AWS_TIMEOUT = 3600.0  # a CloudFront distribution takes minutes to deploy


@dataclass(frozen=True)
class DeployOptions:
    """What the command line chooses. ``None`` is "not given": a first deploy takes the templates'
    defaults (a production-shaped environment), a later one keeps what the stack has."""

    project: str = "mysfits"
    certificate_arn: str | None = None  # "" turns HTTPS off
    api_domain_name: str | None = None
    alarm_email: str | None = None  # "" drops the subscription
    nat: NatChoice | None = None
    api_origin: ApiOrigin | None = None  # None: a VPC origin for a new deployment, else as it is
    small_workers: bool | None = None
    pipeline_view: bool | None = None  # GET /pipeline for website/pipeline.html (counts only)
    allow_dirty: bool = False
    keep_data: bool = False
    cloudfront_prefix_list_id: str = ""  # looked up in the region when empty
    website_dir: Path = REPO_ROOT / "website"
    poll_delay: float = _AWS_POLL_DELAY
    timeout: float = _AWS_TIMEOUT


def new_deployment_choices(cfn: Any, options: DeployOptions) -> DeployOptions:
    """``options`` with what a new deployment gets that an existing one keeps as it is: CloudFront
    reaches a new deployment's load balancer through a VPC origin (internal, no public address),
    while an existing internet-facing one stays (replacing it would change exports that the services
    and alarms stacks import, which CloudFormation refuses)."""
    if options.api_origin is None and stack_parameters_now(cfn, stack_name(options.project, "ingress")) is None:
        return replace(options, api_origin="vpc-origin")
    return options


def deployment_order(cfn: Any, options: DeployOptions, components: Sequence[str] = COMPONENTS) -> list[str]:
    """``components`` in deployment order, but for one case: when an existing network is to lose
    its NAT gateways, the services stack moves the tasks to the public subnets first, and the
    network follows; the other way round the tasks, still in the private subnets, would lose AWS's
    APIs until they moved. (Adding NAT gateways needs the usual order: the network, then the tasks.)"""
    order = list(components)
    if options.nat != "none" or not {"network", "services"} <= set(order):
        return order
    network = stack_parameters_now(cfn, stack_name(options.project, "network"))
    if network is None or network.get("NatGateways", "none") == "none":
        return order
    order.remove("network")
    order.insert(order.index("services") + 1, "network")
    return order


def require_credentials(session: boto3.session.Session) -> None:
    """Raise :class:`MissingCredentials` or :class:`MissingRegion` (changing nothing) unless boto3 has
    credentials and a region."""
    if session.get_credentials() is None:
        raise MissingCredentials(
            "No AWS credentials found, so nothing was changed. deploy.aws uses boto3's standard "
            "credential chain: run `aws configure` or `aws sso login` and set AWS_PROFILE, or set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
            "credentials), or run where an IAM role is available."
        )
    if not session.region_name:
        raise MissingRegion("No AWS region configured: set AWS_REGION or pass --region. Nothing was changed.")


@dataclass
class AwsDeployer:
    """Deploys and tears down one project's stacks. AWS clients come from ``client`` (a service
    name -> boto3 client factory), commands go through ``run``: tests inject both."""

    options: DeployOptions
    client: Callable[[str], Any]
    run: CommandRunner = run_command
    seed: Callable[[Any, str, str], int] = seed_table
    out: TextIO = field(default_factory=lambda: sys.stdout)
    now: Callable[[], float] = time.time

    @classmethod
    def from_session(cls, session: boto3.session.Session, options: DeployOptions, **kwargs: Any) -> AwsDeployer:
        return cls(options=options, client=session.client, **kwargs)

    # ------------------------------------------------------------------ deploy
    def preflight(self) -> list[Finding]:
        """What can be checked before anything is created (:mod:`deploy.preflight`), printed a line each."""
        region = self.client("sts").meta.region_name
        findings = run_preflight(self.client, self.options, region, TEMPLATE_DIR, COMPONENTS)
        self.out.write("".join(f"{finding.line()}\n" for finding in findings))
        return findings

    def deploy(self) -> dict[str, dict[str, str]]:
        """Everything, in order; return each component's stack outputs."""
        failed = [finding for finding in self.preflight() if finding.status == "fail"]
        if failed:
            raise DeployFailure(
                "the preflight checks failed, so nothing was created: "
                + "; ".join(f"{finding.subject}: {finding.message}" for finding in failed)
            )
        image_tag = self.image_tag()
        if not self.options.cloudfront_prefix_list_id:
            found = origin_facing_prefix_list_id(self.client("ec2"))
            if found is None:
                raise DeployFailure(
                    f"this region has no managed prefix list {ORIGIN_FACING_PREFIX_LIST} for CloudFront"
                )
            self.options = replace(self.options, cloudfront_prefix_list_id=found)
        # Before any stack: on an account new to ECS the services would race ECS creating it.
        waiting = {"poll_delay": self.options.poll_delay, "timeout": self.options.timeout}
        ensure_ecs_service_linked_role(self.client("iam"), **waiting)
        outputs: dict[str, dict[str, str]] = {}
        cfn = self.client("cloudformation")
        self.options = new_deployment_choices(cfn, self.options)
        for component in deployment_order(cfn, self.options):
            outputs[component] = self._deploy_component(cfn, component, image_tag, outputs)
            if component == "registry":
                self.publish_images(image_tag, outputs["registry"])

        website, ingress = outputs["website"], outputs["ingress"]
        self.upload_website(website["SiteBucketName"], api_base_url=website["WebsiteUrl"])
        invalidate_all(self.client("cloudfront"), website["DistributionId"], f"deploy-{self.now():.0f}")
        data = outputs["data"]
        inserted = self.seed(self.client("dynamodb"), data["MysfitsTableName"], data["ProcessedEventsTableName"])
        logger.info("catalogue seeded: %d mysfit(s) added", inserted)

        self.out.write(
            "\nMythical Mysfits is deployed (images tagged {tag}).\n"
            "  website:            {site}\n"
            "  API (via CloudFront): {site}/mysfits\n"
            "  load balancer:      {alb} (answers CloudFront only)\n"
            "  alarms topic:       {alarms}\n"
            "CloudFront may take a few minutes to serve the new files everywhere.\n".format(
                tag=image_tag,
                site=website["WebsiteUrl"],
                alb=ingress["ApiUrl"],
                alarms=outputs["alarms"].get("AlarmsTopicArn", "-"),
            )
        )
        return outputs

    def _deploy_component(
        self, cfn: Any, component: str, image_tag: str, outputs: Mapping[str, Mapping[str, str]]
    ) -> dict[str, str]:
        name = stack_name(self.options.project, component)
        logger.info("deploying stack %s", name)
        template = TEMPLATE_DIR / f"{component}.yaml"
        parameters = stack_parameters(component, self.options, image_tag, outputs)
        waiting = {"poll_delay": self.options.poll_delay, "timeout": self.options.timeout}
        tags = {"project": self.options.project}
        bucket = outputs.get("registry", {}).get("TemplatesBucketName")
        deploy = partial(
            deploy_stack,
            cfn,
            name,
            parameters=parameters,
            capabilities=_CAPABILITIES.get(component, ()),
            tags=tags,
            template_store=S3TemplateStore(self.client("s3"), bucket) if bucket else None,
            keep_previous=True,
            announce=self._announce,
            poll_delay=self.options.poll_delay,
            timeout=self.options.timeout,
        )
        if component == "data":
            dynamodb = self.client("dynamodb")
            import_retained_tables(cfn, dynamodb, name, template, parameters, tags=tags, **waiting)
            step_through_indexes(dynamodb, template, parameters, deploy, **waiting)  # one index change per update
        return deploy(template)

    def _announce(self, change: str) -> None:
        self.out.write(f"changing {change}\n")

    def image_tag(self) -> str:
        return self._images().tag()

    def publish_images(self, image_tag: str, registry: Mapping[str, str]) -> list[str]:
        return self._images().publish(self.client("ecr"), image_tag, registry)

    def upload_website(self, bucket: str, api_base_url: str) -> list[str]:
        try:
            return upload_site(self.client("s3"), bucket, self.options.website_dir, api_base_url)
        except FileNotFoundError as exc:
            raise DeployFailure(str(exc)) from exc

    def _images(self) -> Images:
        return Images(self.run, self.now, allow_dirty=self.options.allow_dirty)

    # ------------------------------------------------------------------ teardown
    def teardown(self) -> list[str]:
        """Delete every stack, newest first, emptying what blocks deletion; return the deleted stacks."""
        deleted = Teardown(
            self.client,
            self.options.project,
            COMPONENTS,
            keep_data=self.options.keep_data,
            poll_delay=self.options.poll_delay,
            timeout=self.options.timeout,
        ).run()
        self.out.write(
            f"Torn down: {', '.join(deleted) or 'nothing to delete'}."
            + (" The data stack and its tables were kept (--keep-data).\n" if self.options.keep_data else "\n")
        )
        return deleted


# ---------------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.aws", description="Deploy Mythical Mysfits to AWS, or tear it down."
    )
    parser.add_argument(
        "command", choices=("preflight", "deploy", "teardown"), help="preflight: check the account, change nothing"
    )
    parser.add_argument("--project", default="mysfits", help="prefix of stacks and resources (default mysfits)")
    parser.add_argument("--region", help="AWS region (default: boto3's, from AWS_REGION or the profile)")
    parser.add_argument("--profile", help="AWS profile (default: boto3's, from AWS_PROFILE)")
    # Each option not given keeps what the last deploy chose (a first deploy: the default).
    parser.add_argument("--certificate-arn", help="ACM certificate for HTTPS on the load balancer ('' turns it off)")
    parser.add_argument("--api-domain-name", help="DNS name the certificate covers (with a certificate)")
    parser.add_argument("--alarm-email", help="address subscribed to the alarms topic ('' drops it)")
    nat = parser.add_mutually_exclusive_group()
    nat.add_argument("--nat", choices=get_args(NatChoice), help="NAT gateways: one per AZ (default), one, none")
    nat.add_argument("--single-nat", dest="nat", action="store_const", const="one", help="the same as --nat one")
    nat.add_argument("--no-nat", dest="nat", action="store_const", const="none", help="--nat none: public tasks")
    parser.add_argument(
        "--api-origin",
        choices=get_args(ApiOrigin),
        help="how CloudFront reaches the load balancer (a new deployment: vpc-origin, an internal load balancer)",
    )
    parser.add_argument(
        "--small-workers",
        action=argparse.BooleanOptionalAction,
        help="workers at 0.25 vCPU, 0.5 GiB (--no-small-workers: 0.5 vCPU, 1 GiB, the default)",
    )
    parser.add_argument(
        "--pipeline-view",
        action=argparse.BooleanOptionalAction,
        help="GET /pipeline (queue counts) for the live pipeline page (off by default)",
    )
    parser.add_argument(
        "--allow-dirty", action="store_true", help="deploy uncommitted image sources (tagged <sha>-dirty-<time>)"
    )
    parser.add_argument("--keep-data", action="store_true", help="teardown: keep the data stack and its tables")
    parser.add_argument("--yes", action="store_true", help="teardown: do not ask for confirmation")
    return parser


def main(argv: Sequence[str] | None = None, session: boto3.session.Session | None = None) -> int:
    """Exit codes as :mod:`mysfits_common.cli` lists them: 0 done, 1 failed (the message says where),
    2 no region, 4 no credentials, 6 teardown not confirmed."""
    args = _parser().parse_args(argv)
    tool = f"deploy.aws {args.command}"
    configure_command_logging(tool)
    return report_failures(tool, lambda: _run(args, session), expected=EXPECTED_FAILURES, explained=explain)


def _run(args: argparse.Namespace, session: boto3.session.Session | None) -> None:
    session = session or boto3.session.Session(profile_name=args.profile, region_name=args.region)
    require_credentials(session)
    deployer = AwsDeployer.from_session(session, deploy_options(args))
    if args.command == "preflight":
        _passed(deployer.preflight())
    elif args.command == "deploy":
        deployer.deploy()
    elif args.yes or _confirmed(args.project, session.region_name):
        deployer.teardown()
    else:
        raise CommandError("not confirmed; nothing was deleted", Exit.REFUSED)


def _passed(findings: Sequence[Finding]) -> None:
    failed = [finding.subject for finding in findings if finding.status == "fail"]
    if failed:
        raise DeployFailure(f"{', '.join(failed)}: see the FAIL lines above; nothing was changed")


def deploy_options(args: argparse.Namespace) -> DeployOptions:
    """The options a parsed command line gives; what it does not name stays ``None`` (kept)."""
    return DeployOptions(
        project=args.project,
        certificate_arn=args.certificate_arn,
        api_domain_name=args.api_domain_name,
        alarm_email=args.alarm_email,
        nat=args.nat,
        api_origin=args.api_origin,
        small_workers=args.small_workers,
        pipeline_view=args.pipeline_view,
        allow_dirty=args.allow_dirty,
        keep_data=args.keep_data,
    )


def _confirmed(project: str, region: str | None) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"Delete every {project}-* stack, its data and images in {region}? Type the project name: ")
    return answer.strip() == project


if __name__ == "__main__":
    sys.exit(main())
