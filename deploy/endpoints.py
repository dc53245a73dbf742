"""Where each AWS service is reached: boto3's standard configuration, applied to a given environment.

boto3 reads ``AWS_ENDPOINT_URL_<SERVICE>``, then the shared config file's ``services`` section, then
``AWS_ENDPOINT_URL``, then its global ``endpoint_url``, else AWS itself. Nothing here adds a rule of
its own: :class:`Endpoints` asks botocore's own provider, with the environment the caller's processes
will have (the runner's children get an ``AWS_ENDPOINT_URL`` that its own process does not have).

So SNS and SQS on LocalStack with DynamoDB on moto is::

    AWS_ENDPOINT_URL=http://localhost:4566 AWS_ENDPOINT_URL_DYNAMODB=http://localhost:5000
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.configprovider import ConfiguredEndpointProvider

from mysfits_common import aws

__all__ = ["EMULATOR_CREDENTIALS", "Endpoints", "MixedEndpoints", "with_emulator_credentials"]

#: Any access key does for an emulator; these when the environment has none.
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class MixedEndpoints(ValueError):
    """The services of one template are configured at different endpoints; ``str(error)`` lists them."""


@dataclass(frozen=True)
class Endpoints:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    region: str = "us-east-1"

    @classmethod
    def single(cls, url: str, region: str = "us-east-1") -> Endpoints:
        """Every service at ``url`` (an emulator), whatever else the environment says."""
        kept = {key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")}
        return cls({**kept, "AWS_ENDPOINT_URL": url}, region)

    def url(self, service: str) -> str | None:
        """The endpoint configured for ``service`` (boto3's service name), or None for AWS itself."""
        if self.env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
            return None
        session = boto3.session.Session(region_name=self.region)._session
        provider = ConfiguredEndpointProvider(
            full_config=session.full_config,
            scoped_config=session.get_scoped_config(),
            client_name=service,
            environ=self.env,
        )
        url: str | None = provider.provide()
        return url

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` at its configured endpoint."""
        return self._client(service, self.url(service))

    def cloudformation_beside(self, *services: str) -> Any:
        """The CloudFormation that sits with ``services``: a template's resources land where their
        service's endpoint points, so it is deployed through the CloudFormation at that endpoint.
        Services of one template must share an endpoint; none configured means CloudFormation's own."""
        urls = {service: self.url(service) for service in services}
        if len(set(urls.values())) > 1:
            listed = ", ".join(f"{service} at {url or 'AWS'}" for service, url in urls.items())
            raise MixedEndpoints(f"one template's services must share an endpoint: {listed}")
        url = next(iter(urls.values()))
        if url is None:
            return self.client("cloudformation")
        return self._client("cloudformation", url)

    def credentials(self) -> dict[str, Any]:
        """The access key this environment holds, as boto3 client options, read as boto3 reads its
        environment (empty values are no values). None there: {}, and boto3's own chain decides
        (a profile, SSO, a task role), as configured for this process."""
        key, secret = self.env.get("AWS_ACCESS_KEY_ID", ""), self.env.get("AWS_SECRET_ACCESS_KEY", "")
        if not key or not secret:
            return {}
        options = {"aws_access_key_id": key, "aws_secret_access_key": secret}
        if token := self.env.get("AWS_SESSION_TOKEN") or self.env.get("AWS_SECURITY_TOKEN"):
            options["aws_session_token"] = token
        return options

    def _client(self, service: str, url: str | None) -> Any:
        # botocore's own timeouts and retries: a deploy waits on CloudFormation, not on a user.
        return aws.client(service, region_name=self.region, endpoint_url=url, config=None, **self.credentials())


def with_emulator_credentials(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with :data:`EMULATOR_CREDENTIALS` when it holds no usable access key (none, or empty)."""
    if Endpoints(env).credentials():
        return dict(env)
    return {**env, **EMULATOR_CREDENTIALS}
