"""How a mysfit is stored in its DynamoDB item: the workshop's attribute names and types, written
and read back. An item that cannot be read (a field of the wrong type, written by hand) is a
:class:`~monolith.domain.CorruptRecord` that names it; a listing leaves it out and logs it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from monolith.domain import CorruptRecord, Mysfit

__all__ = ["readable", "to_item", "to_mysfit"]

logger = logging.getLogger(__name__)
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_mysfit(item: dict[str, Any]) -> Mysfit:
    data = {key: _deserializer.deserialize(value) for key, value in item.items()}
    try:
        return _from_data(data)
    except (TypeError, ValueError) as error:
        raise CorruptRecord(str(data.get("MysfitId", "?")), str(error)) from error


def readable(items: Iterator[dict[str, Any]]) -> Iterator[Mysfit]:
    """The items that read as mysfits; a corrupt one is logged and left out of a listing."""
    for item in items:
        try:
            yield to_mysfit(item)
        except CorruptRecord as error:
            logger.error("Corrupt mysfit left out", extra={"mysfitId": error.mysfit_id, "error": str(error)})


def _from_data(data: dict[str, Any]) -> Mysfit:
    return Mysfit(
        mysfit_id=data["MysfitId"],
        name=data.get("Name", ""),
        species=data.get("Species", ""),
        description=data.get("Description", ""),
        age=int(data.get("Age", 0)),
        good_evil=data.get("GoodEvil", ""),
        law_chaos=data.get("LawChaos", ""),
        thumb_image_uri=data.get("ThumbImageUri", ""),
        profile_image_uri=data.get("ProfileImageUri", ""),
        likes=int(data.get("Likes", 0)),
        adopted=bool(data.get("Adopted", False)),
        adopted_by=str(data["AdoptedBy"]) if "AdoptedBy" in data else None,
    )


def to_item(mysfit: Mysfit) -> dict[str, Any]:
    data = {
        "MysfitId": mysfit.mysfit_id,
        "Name": mysfit.name,
        "Species": mysfit.species,
        "Description": mysfit.description,
        "Age": Decimal(mysfit.age),
        "GoodEvil": mysfit.good_evil,
        "LawChaos": mysfit.law_chaos,
        "ThumbImageUri": mysfit.thumb_image_uri,
        "ProfileImageUri": mysfit.profile_image_uri,
        "Likes": Decimal(mysfit.likes),
        "Adopted": mysfit.adopted,
    }
    return {key: _serializer.serialize(value) for key, value in data.items()}
