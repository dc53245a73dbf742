"""The local AWS emulator: moto's server, with every fix that makes it behave like AWS.

Run it as ``python -m embedded.emulator [-H host] [-p port]``. moto is the engine; each gap
between it and AWS that this project depends on is fixed in one module of this package, with
the reason it exists, and nowhere else:

- :mod:`embedded.emulator.dynamodb`: DynamoDB requests serialised (conditional transactions are
  atomic), and transactions that snapshot only the items they name;
- :mod:`embedded.emulator.consumed_capacity`: every DynamoDB write charged in write units as
  DynamoDB charges it (item sizes before and after, transactions doubled, index writes included),
  answered to ``ReturnConsumedCapacity`` instead of moto's placeholders, and counted on demand;
- :mod:`embedded.emulator.ttl`: items whose TTL has passed are deleted, as DynamoDB does;
- :mod:`embedded.emulator.history`: what moto keeps of every message (SNS notifications, deleted
  SQS receipt handles) is bounded, so memory does not grow with history;
- :mod:`embedded.emulator.sqs`: ``SetQueueAttributes`` leaves the attributes it is not given alone,
  and a message sent or received no longer costs a pass over every message in its queue;
- :mod:`embedded.emulator.message_moves`: SQS message move tasks (DLQ redrive), which moto lacks;
- :mod:`embedded.emulator.sqs_metrics`: the queues' CloudWatch metrics (the age of the oldest message
  among them), which AWS publishes every minute and moto never does;
- :mod:`embedded.emulator.server`: the backend of a request is found once per host, not by listing
  moto's package on every request; request logging is opt-in;
- :mod:`embedded.emulator.ec2`: a stack's security groups keep their ingress rules from prefix
  lists (moto dropped them);
- :mod:`embedded.emulator.ecs`: a stack's ECS services keep their network configuration (moto
  dropped it);
- :mod:`embedded.emulator.elbv2`: a stack's load balancer can be updated (moto dropped it from the
  stack, failing every ``!GetAtt`` of it), and a new ``Scheme`` replaces it;
- :mod:`embedded.emulator.service_discovery`: a stack's Cloud Map HTTP namespace (moto's
  CloudFormation has none, so ``!GetAtt Namespace.Arn`` failed the services stack);
- :mod:`embedded.emulator.ecr`: a stack's ECR repositories honour ``EmptyOnDelete`` (moto ignores it,
  so a repository holding images blocked its stack's deletion);
- :mod:`embedded.emulator.request_count`: an opt-in count of the requests served, by service and
  action, as AWS bills them (the server installs it when ``EMULATOR_COUNT_REQUESTS=1``);
- :mod:`embedded.emulator.faults`: fault injection at the AWS boundary, AWS's bad days on demand:
  each service's own throttling and internal errors, transaction conflicts (random, or real ones
  between transactions that hold their items), partial batch failures, latency, hangs, answers lost
  after the work was applied, dropped connections; rules from ``EMULATOR_FAULTS`` or
  ``/_emulator/faults`` (the server installs it; a request costs one check while no rule is set);
- :mod:`embedded.emulator.boundary`: an AWS request's service and action as the two above read
  them, before moto does;
- :mod:`embedded.emulator.cloudformation`: the resource types and properties of our templates that
  moto's CloudFormation skips (subscriptions, queue policies, table TTL and point-in-time
  recovery, queue and table updates), so that ``deploy/`` speaks plain CloudFormation;
- :mod:`embedded.emulator.stack_rules`: a template's ``Rules`` refuse a stack create, update or change
  set whose parameters break them, with CloudFormation's ``ValidationError`` (moto ignores rules);

:func:`install` applies the fixes to moto in this process: the server does it at start, and tests
that use moto in-process (``mock_aws``) call it to get the same behaviour. The request counter and
fault injection stand at the server's front door, so only the server installs them.
"""

from __future__ import annotations

from embedded.emulator import (
    cloudformation,
    consumed_capacity,
    dynamodb,
    ec2,
    ecr,
    ecs,
    elbv2,
    history,
    message_moves,
    server,
    service_discovery,
    sqs,
    stack_rules,
)

__all__ = ["install"]

_installed = False


def install() -> None:
    """Apply every fix to moto in this process (once; a second call changes nothing)."""
    global _installed
    if _installed:
        return
    dynamodb.install()
    consumed_capacity.install()
    history.install()
    sqs.install()
    message_moves.install()
    server.install()
    cloudformation.install()
    stack_rules.install()
    ec2.install()
    ecr.install()
    ecs.install()
    elbv2.install()
    service_discovery.install()
    _installed = True
