"""Deploy the whole system to AWS, or tear it down: ``python -m deploy.aws deploy|teardown``.

boto3 alone makes every AWS call (no AWS CLI needed); the docker CLI builds and pushes the images.
``deploy``, idempotent:

1. the ``registry`` stack (one ECR repository per service);
2. the three images, built from the repository root and pushed tagged with the git commit SHA
   (never ``latest``; a tag already in ECR is not rebuilt: tags are immutable);
3. the stacks ``network``, ``data``, ``messaging``, ``ingress``, ``website``, ``services`` and
   ``alarms``, in that order, wired by exports and the parameters below;
4. ``website/`` uploaded to the site bucket with a ``config.js`` naming the API, the CloudFront
   cache invalidated, the catalogue seeded (missing mysfits only), the URLs printed.

``teardown`` deletes the stacks in the reverse order, emptying the site and access-log buckets
first (the registry's repositories delete their images themselves: ``EmptyOnDelete``), and deletes
the tables that the data stack retains (``--keep-data`` keeps the data stack, tables and all, for
the next ``deploy`` to update in place). Both refuse to start without AWS credentials.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import mimetypes
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from deploy.cloudfront import ORIGIN_FACING_PREFIX_LIST, origin_facing_prefix_list_id
from deploy.parameters import stack_name, stack_parameters
from deploy.retained import import_retained_tables
from deploy.stacks import DeployError, deploy_stack, stack_outputs, stack_status

__all__ = [
    "COMPONENTS",
    "REPO_ROOT",
    "SERVICES",
    "AwsDeployer",
    "CommandRunner",
    "DeployFailure",
    "DeployOptions",
    "MissingCredentials",
    "config_script",
    "main",
    "require_credentials",
    "stack_name",
    "stack_parameters",
]

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = REPO_ROOT / "infra" / "cloudformation"

#: Deployment order; teardown goes the other way. Each is ``{project}-{component}`` from
#: ``infra/cloudformation/{component}.yaml``.
COMPONENTS = ("registry", "network", "data", "messaging", "ingress", "website", "services", "alarms")
_CAPABILITIES = {"services": ("CAPABILITY_IAM",)}


@dataclass(frozen=True)
class Service:
    """One container image: its Dockerfile and the registry stack output naming its repository."""

    name: str
    dockerfile: str
    repository_output: str


SERVICES = (
    Service("monolith", "monolith/Dockerfile", "MonolithRepositoryUri"),
    Service("like-worker", "like_worker/Dockerfile", "LikeWorkerRepositoryUri"),
    Service("adopt-worker", "adopt_worker/Dockerfile", "AdoptWorkerRepositoryUri"),
)
#: Inputs of the images: a change here (committed or not) changes what the SHA would name.
_IMAGE_INPUTS = ("requirements.txt", ".dockerignore", "mysfits_common", "monolith", "like_worker", "adopt_worker")

# Files that must never be served stale: the page and the file that says where the API is.
_NO_CACHE = frozenset({"index.html", "pipeline.html", "config.js"})
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}

_AWS_POLL_DELAY = 10.0
_AWS_TIMEOUT = 3600.0  # a CloudFront distribution takes minutes to deploy


class DeployFailure(RuntimeError):
    """The deploy or teardown cannot go on; the message says why and what to do."""


class MissingCredentials(DeployFailure):
    """boto3 found no AWS credentials."""


class CommandRunner(Protocol):
    """``subprocess.run``'s shape, so tests can run no docker or git."""

    def __call__(
        self, args: Sequence[str], *, check: bool, cwd: Path, input: str | None = None, capture_output: bool = False
    ) -> subprocess.CompletedProcess[str]: ...


def _run(
    args: Sequence[str], *, check: bool, cwd: Path, input: str | None = None, capture_output: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=check, cwd=cwd, input=input, capture_output=capture_output, text=True)


@dataclass(frozen=True)
class DeployOptions:
    """What the command line chooses; the defaults deploy a production-shaped environment."""

    project: str = "mysfits"
    certificate_arn: str = ""
    api_domain_name: str = ""
    alarm_email: str = ""
    single_nat: bool = False
    no_nat: bool = False
    small_workers: bool = False
    pipeline_view: bool = False  # GET /pipeline for website/pipeline.html (counts only)
    allow_dirty: bool = False
    keep_data: bool = False
    cloudfront_prefix_list_id: str = ""  # looked up in the region when empty
    website_dir: Path = REPO_ROOT / "website"
    poll_delay: float = _AWS_POLL_DELAY
    timeout: float = _AWS_TIMEOUT


def config_script(api_base_url: str) -> str:
    """website/config.js for this deployment."""
    return f"window.MYSFITS_CONFIG = Object.freeze({json.dumps({'apiBaseUrl': api_base_url})});\n"


def require_credentials(session: boto3.session.Session) -> None:
    """Raise :class:`MissingCredentials` (changing nothing) unless boto3 has credentials and a region."""
    if session.get_credentials() is None:
        raise MissingCredentials(
            "No AWS credentials found, so nothing was changed. deploy.aws uses boto3's standard "
            "credential chain: run `aws configure` or `aws sso login` and set AWS_PROFILE, or set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
            "credentials), or run where an IAM role is available."
        )
    if not session.region_name:
        raise MissingCredentials("No AWS region configured: set AWS_REGION or pass --region. Nothing was changed.")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _default_seed(dynamodb: Any, mysfits_table: str, processed_events_table: str) -> int:
    from monolith.dynamodb import DynamoMysfitRepository
    from monolith.seed import seed

    return seed(DynamoMysfitRepository(dynamodb, mysfits_table, processed_events_table))


@dataclass
class AwsDeployer:
    """Deploys and tears down one project's stacks. AWS clients come from ``client`` (a service
    name -> boto3 client factory), commands go through ``run``: tests inject both."""

    options: DeployOptions
    client: Callable[[str], Any]
    run: CommandRunner = _run
    seed: Callable[[Any, str, str], int] = _default_seed
    out: TextIO = field(default_factory=lambda: sys.stdout)
    now: Callable[[], float] = time.time

    @classmethod
    def from_session(cls, session: boto3.session.Session, options: DeployOptions, **kwargs: Any) -> AwsDeployer:
        return cls(options=options, client=session.client, **kwargs)

    # ------------------------------------------------------------------ deploy
    def deploy(self) -> dict[str, dict[str, str]]:
        """Everything, in order; return each component's stack outputs."""
        image_tag = self.image_tag()
        if not self.options.cloudfront_prefix_list_id:
            found = origin_facing_prefix_list_id(self.client("ec2"))
            if found is None:
                raise DeployFailure(
                    f"this region has no managed prefix list {ORIGIN_FACING_PREFIX_LIST} for CloudFront"
                )
            self.options = replace(self.options, cloudfront_prefix_list_id=found)
        outputs: dict[str, dict[str, str]] = {}
        cfn = self.client("cloudformation")
        for component in COMPONENTS:
            outputs[component] = self._deploy_component(cfn, component, image_tag, outputs)
            if component == "registry":
                self.publish_images(image_tag, outputs["registry"])

        website, ingress = outputs["website"], outputs["ingress"]
        self.upload_website(website["SiteBucketName"], api_base_url=website["WebsiteUrl"])
        self.invalidate(website["DistributionId"])
        data = outputs["data"]
        inserted = self.seed(self.client("dynamodb"), data["MysfitsTableName"], data["ProcessedEventsTableName"])
        log.info("catalogue seeded: %d mysfit(s) added", inserted)

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
        log.info("deploying stack %s", name)
        template = TEMPLATE_DIR / f"{component}.yaml"
        parameters = stack_parameters(component, self.options, image_tag, outputs)
        waiting = {"poll_delay": self.options.poll_delay, "timeout": self.options.timeout}
        tags = {"project": self.options.project}
        if component == "data":
            import_retained_tables(cfn, self.client("dynamodb"), name, template, parameters, tags=tags, **waiting)
        capabilities = _CAPABILITIES.get(component, ())
        return deploy_stack(cfn, name, template, parameters, capabilities=capabilities, tags=tags, **waiting)

    def image_tag(self) -> str:
        """The git commit SHA; with uncommitted changes to the images' inputs, refuse (or, with
        ``allow_dirty``, append ``-dirty-<UTC time>`` so that no tag names two different images)."""
        try:
            sha = self.run(["git", "rev-parse", "HEAD"], check=True, cwd=REPO_ROOT, capture_output=True).stdout.strip()
            status = self.run(
                ["git", "status", "--porcelain", "--", *_IMAGE_INPUTS], check=True, cwd=REPO_ROOT, capture_output=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise DeployFailure(f"cannot read the git commit to tag the images with: {exc}") from exc
        if not status:
            return sha
        if not self.options.allow_dirty:
            raise DeployFailure(
                "the images' sources have uncommitted changes, so the commit SHA would not describe them:\n"
                f"{status}\ncommit them, or pass --allow-dirty to tag the images <sha>-dirty-<time>"
            )
        return f"{sha}-dirty-{time.strftime('%Y%m%d%H%M%S', time.gmtime(self.now()))}"

    def publish_images(self, image_tag: str, registry: Mapping[str, str]) -> list[str]:
        """Build and push each image not yet in ECR under ``image_tag``; return the pushed URIs."""
        ecr = self.client("ecr")
        missing = [
            (service, registry[service.repository_output])
            for service in SERVICES
            if not self._image_exists(ecr, registry[service.repository_output], image_tag)
        ]
        if not missing:
            log.info("images %s are already in ECR", image_tag)
            return []
        self._docker_login(ecr)
        pushed = []
        for service, repository_uri in missing:
            image = f"{repository_uri}:{image_tag}"
            log.info("building %s", image)
            self._docker(["docker", "build", "--platform", "linux/amd64", "-f", service.dockerfile, "-t", image, "."])
            self._docker(["docker", "push", image])
            pushed.append(image)
        return pushed

    @staticmethod
    def _image_exists(ecr: Any, repository_uri: str, image_tag: str) -> bool:
        repository = repository_uri.split("/", 1)[1]
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": image_tag}])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ImageNotFoundException":
                return False
            raise
        return True

    def _docker_login(self, ecr: Any) -> None:
        data = ecr.get_authorization_token()["authorizationData"][0]
        user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
        registry = data["proxyEndpoint"].removeprefix("https://")
        self._docker(["docker", "login", "--username", user, "--password-stdin", registry], input=password)

    def _docker(self, args: Sequence[str], input: str | None = None) -> None:
        try:
            self.run(args, check=True, cwd=REPO_ROOT, input=input)
        except FileNotFoundError as exc:
            raise DeployFailure("the docker CLI is needed to build and push the images; install it") from exc
        except subprocess.CalledProcessError as exc:
            raise DeployFailure(f"`{' '.join(args[:3])} ...` failed with exit code {exc.returncode}") from exc

    def upload_website(self, bucket: str, api_base_url: str) -> list[str]:
        """Upload ``website_dir`` (with a generated config.js) and delete what it no longer has."""
        s3 = self.client("s3")
        root = self.options.website_dir
        if not root.is_dir():
            raise DeployFailure(f"no website to upload: {root} is not a folder")
        uploaded = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            key = path.relative_to(root).as_posix()
            if key == "config.js" or any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **self._object_headers(key))
            uploaded.append(key)
        config = config_script(api_base_url).encode()
        s3.put_object(Bucket=bucket, Key="config.js", Body=config, **self._object_headers("config.js"))
        uploaded.append("config.js")

        stale = [
            {"Key": obj["Key"]}
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for obj in page.get("Contents", [])
            if obj["Key"] not in uploaded
        ]
        for chunk in _chunks(stale, 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": list(chunk), "Quiet": True})
        log.info("website: %d file(s) uploaded to %s, %d removed", len(uploaded), bucket, len(stale))
        return uploaded

    @staticmethod
    def _object_headers(key: str) -> dict[str, str]:
        suffix = Path(key).suffix.lower()
        content_type = _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"
        cache = "no-cache" if Path(key).name in _NO_CACHE else "public, max-age=300"
        return {"ContentType": content_type, "CacheControl": cache}

    def invalidate(self, distribution_id: str) -> None:
        self.client("cloudfront").create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": ["/*"]},
                "CallerReference": f"deploy-{self.now():.0f}",
            },
        )

    # ------------------------------------------------------------------ teardown
    def teardown(self) -> list[str]:
        """Delete every stack, newest first, emptying what blocks deletion; return the deleted stacks."""
        cfn = self.client("cloudformation")
        deleted = []
        for component in reversed(COMPONENTS):
            name = stack_name(self.options.project, component)
            if component == "data" and self.options.keep_data:
                # The stack stays with its tables, so that the next deploy updates it in place: a
                # new stack would fail to create tables that already exist under the same names.
                log.info("keeping stack %s and its tables (--keep-data)", name)
                continue
            if stack_status(cfn, name) is None:
                log.info("stack %s does not exist", name)
                continue
            outputs = stack_outputs(cfn, name)
            if component == "website" and outputs.get("SiteBucketName"):
                self.empty_bucket(outputs["SiteBucketName"])
            elif component == "network" and outputs.get("AccessLogsBucketName"):
                self.empty_bucket(outputs["AccessLogsBucketName"])
            try:
                self._delete_stack(cfn, name)
            except DeployFailure:
                if component != "network":
                    raise
                # Access logs arrive minutes late (CloudFront's, the load balancer's last batch):
                # the bucket may have filled again since it was emptied.
                self.empty_bucket(outputs["AccessLogsBucketName"])
                self._delete_stack(cfn, name)
            deleted.append(name)
            if component == "data":
                self.delete_tables([outputs[key] for key in ("MysfitsTableName", "ProcessedEventsTableName")])
        self.out.write(
            f"Torn down: {', '.join(deleted) or 'nothing to delete'}."
            + (" The data stack and its tables were kept (--keep-data).\n" if self.options.keep_data else "\n")
        )
        return deleted

    def _delete_stack(self, cfn: Any, name: str) -> None:
        log.info("deleting stack %s", name)
        cfn.delete_stack(StackName=name)
        delay = max(self.options.poll_delay, 0.1)
        try:
            cfn.get_waiter("stack_delete_complete").wait(
                StackName=name, WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(self.options.timeout / delay))}
            )
        except Exception as exc:  # WaiterError: say which stack, and where to look
            raise DeployFailure(
                f"stack {name} did not delete ({exc}); see its events in the CloudFormation console"
            ) from exc

    def empty_bucket(self, bucket: str) -> int:
        """Delete every object version and delete marker in ``bucket``; return how many."""
        s3 = self.client("s3")
        try:
            keys = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
                for item in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
            ]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
                return 0
            raise
        for chunk in _chunks(keys, 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": list(chunk), "Quiet": True})
        log.info("emptied bucket %s (%d object version(s))", bucket, len(keys))
        return len(keys)

    def delete_tables(self, tables: Sequence[str]) -> None:
        """The data stack retains its tables (data outlives a stack); teardown means all of it."""
        dynamodb = self.client("dynamodb")
        for table in tables:
            try:
                dynamodb.delete_table(TableName=table)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
                continue
            log.info("deleted table %s", table)


# ---------------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.aws", description="Deploy Mythical Mysfits to AWS, or tear it down."
    )
    parser.add_argument("command", choices=("deploy", "teardown"))
    parser.add_argument("--project", default="mysfits", help="prefix of stacks and resources (default mysfits)")
    parser.add_argument("--region", help="AWS region (default: boto3's, from AWS_REGION or the profile)")
    parser.add_argument("--profile", help="AWS profile (default: boto3's, from AWS_PROFILE)")
    parser.add_argument("--certificate-arn", default="", help="ACM certificate for HTTPS on the load balancer")
    parser.add_argument("--api-domain-name", default="", help="DNS name the certificate covers (with a certificate)")
    parser.add_argument("--alarm-email", default="", help="address subscribed to the alarms topic")
    nat = parser.add_mutually_exclusive_group()
    nat.add_argument("--single-nat", action="store_true", help="one NAT gateway instead of one per AZ")
    nat.add_argument("--no-nat", action="store_true", help="no NAT gateway: tasks in the public subnets, public IPs")
    parser.add_argument("--small-workers", action="store_true", help="workers at 0.25 vCPU, 0.5 GiB (not 0.5, 1)")
    parser.add_argument(
        "--pipeline-view", action="store_true", help="turn on GET /pipeline (queue counts) for the live pipeline page"
    )
    parser.add_argument(
        "--allow-dirty", action="store_true", help="deploy uncommitted image sources (tagged <sha>-dirty-<time>)"
    )
    parser.add_argument("--keep-data", action="store_true", help="teardown: keep the data stack and its tables")
    parser.add_argument("--yes", action="store_true", help="teardown: do not ask for confirmation")
    return parser


def main(argv: Sequence[str] | None = None, session: boto3.session.Session | None = None) -> int:
    """Exit codes: 0 done, 1 failed (the message says where), 2 cannot start (credentials, region,
    confirmation)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        session = session or boto3.session.Session(profile_name=args.profile, region_name=args.region)
        require_credentials(session)
    except (MissingCredentials, BotoCoreError) as exc:
        sys.stderr.write(f"deploy.aws {args.command}: {exc}\n")
        return 2
    options = DeployOptions(
        project=args.project,
        certificate_arn=args.certificate_arn,
        api_domain_name=args.api_domain_name,
        alarm_email=args.alarm_email,
        single_nat=args.single_nat,
        no_nat=args.no_nat,
        small_workers=args.small_workers,
        pipeline_view=args.pipeline_view,
        allow_dirty=args.allow_dirty,
        keep_data=args.keep_data,
    )
    deployer = AwsDeployer.from_session(session, options)
    try:
        if args.command == "deploy":
            deployer.deploy()
        else:
            if not args.yes and not _confirmed(args.project, session.region_name):
                sys.stderr.write("deploy.aws teardown: not confirmed; nothing was deleted\n")
                return 2
            deployer.teardown()
    except (DeployFailure, DeployError, ClientError, BotoCoreError) as exc:
        sys.stderr.write(f"deploy.aws {args.command} failed: {exc}\n")
        return 1
    return 0


def _confirmed(project: str, region: str | None) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"Delete every {project}-* stack, its data and images in {region}? Type the project name: ")
    return answer.strip() == project


if __name__ == "__main__":
    sys.exit(main())
