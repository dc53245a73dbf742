"""Seed the catalogue: python -m monolith.seed. Safe to re-run: existing mysfits are left as they are."""

from __future__ import annotations

import functools
import json
import logging
from importlib import resources
from typing import Any

from monolith.config import Settings
from monolith.domain import DependencyUnavailable, Mysfit
from monolith.dynamodb import DynamoMysfitRepository
from monolith.repository import MysfitRepository
from mysfits_common import aws
from mysfits_common.cli import EXPECTED_FAILURES, configure_command_logging, explain, report_failures

logger = logging.getLogger(__name__)
_TOOL = "monolith.seed"


def catalogue() -> list[Mysfit]:
    """The 12 mysfits of the seed catalogue, in the workshop's attribute names."""
    raw: dict[str, Any] = json.loads(resources.files("monolith").joinpath("catalogue.json").read_text())
    return [
        Mysfit(
            mysfit_id=item["MysfitId"],
            name=item["Name"],
            species=item["Species"],
            description=item["Description"],
            age=int(item["Age"]),
            good_evil=item["GoodEvil"],
            law_chaos=item["LawChaos"],
            thumb_image_uri=item["ThumbImageUri"],
            profile_image_uri=item["ProfileImageUri"],
            likes=int(item["Likes"]),
            adopted=bool(item["Adopted"]),
        )
        for item in raw["mysfits"]
    ]


def seed(repository: MysfitRepository) -> int:
    """Insert the mysfits that are missing; return how many were inserted."""
    return sum(repository.add_if_absent(mysfit) for mysfit in catalogue())


def seed_table(dynamodb: Any, mysfits_table: str, processed_events_table: str) -> int:
    """:func:`seed` into the table through a DynamoDB client: every target's one way to seed
    (``python -m monolith.seed``, ``make run``, LocalStack's hook, ``deploy.aws``, ``ops seed``)."""
    return seed(DynamoMysfitRepository(dynamodb, mysfits_table, processed_events_table))


def main() -> int:
    """Exit codes as :mod:`mysfits_common.cli` lists them (5: DynamoDB unreachable)."""
    configure_command_logging(_TOOL)

    def run() -> None:
        settings = Settings.from_env()
        inserted = seed_table(aws.client("dynamodb"), settings.mysfits_table, settings.processed_events_table)
        logger.info("Catalogue seeded", extra={"inserted": inserted, "table": settings.mysfits_table})

    return report_failures(
        _TOOL,
        run,
        expected=(*EXPECTED_FAILURES, DependencyUnavailable),
        explained=functools.partial(explain, unavailable=(DependencyUnavailable,)),
    )


if __name__ == "__main__":
    raise SystemExit(main())
