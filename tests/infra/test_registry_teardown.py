"""The registry stack deletes its repositories with their images (``EmptyOnDelete``): the teardown
command empties no repository by hand. Deployed to the embedded emulator, which honours the
property as CloudFormation does."""

from __future__ import annotations

import json

import boto3
import pytest

from deploy.aws import SERVICES, DeployOptions, stack_name, stack_parameters
from deploy.stacks import deploy_stack, stack_status
from deploy.templates import load_template
from tests.infra.support import TEMPLATE_DIR

PROJECT = "regtest"


def test_every_repository_is_emptied_by_its_stack() -> None:
    resources = load_template(TEMPLATE_DIR / "registry.yaml")["Resources"]
    repositories = [r for r in resources.values() if r["Type"] == "AWS::ECR::Repository"]
    assert len(repositories) == len(SERVICES)
    assert all(r["Properties"]["EmptyOnDelete"] is True for r in repositories)


def test_deleting_the_registry_stack_deletes_repositories_holding_images(emulator: str) -> None:
    # GIVEN the registry stack, and an image pushed to each repository
    session = boto3.session.Session(region_name="us-east-1")
    cfn, ecr = session.client("cloudformation", endpoint_url=emulator), session.client("ecr", endpoint_url=emulator)
    name = stack_name(PROJECT, "registry")
    outputs = deploy_stack(
        cfn,
        name,
        TEMPLATE_DIR / "registry.yaml",
        stack_parameters("registry", DeployOptions(project=PROJECT), "unused", {}),
        poll_delay=0.2,
        timeout=60,
    )
    repositories = [outputs[service.repository_output].split("/", 1)[1] for service in SERVICES]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"})
    for repository in repositories:
        ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag="0123abc")

    # WHEN the stack is deleted, as teardown does, with no image deleted first
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})

    # THEN the repositories are gone, images and all
    assert stack_status(cfn, name) is None
    for repository in repositories:
        with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
            ecr.describe_repositories(repositoryNames=[repository])
