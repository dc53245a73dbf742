"""The website's files as every target serves them: ``config.js`` naming the API, content types
and cache headers, and the upload of ``website/`` to its S3 bucket behind CloudFront."""

from __future__ import annotations

import json
import logging
import mimetypes
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CONTENT_TYPES", "chunks", "config_script", "invalidate_all", "object_headers", "upload_site"]

logger = logging.getLogger(__name__)

#: Explicit, so that neither the platform's mime.types nor Python's version decides: ES modules
#: need a JavaScript type and <img> needs image/svg+xml.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# Files that must never be served stale: the page and the file that says where the API is.
_NO_CACHE = frozenset({"index.html", "pipeline.html", "config.js"})


def config_script(api_base_url: str) -> str:
    """``config.js``: the one file of the site that differs between targets."""
    return f"window.MYSFITS_CONFIG = Object.freeze({json.dumps({'apiBaseUrl': api_base_url})});\n"


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def object_headers(key: str) -> dict[str, str]:
    """S3 ``ContentType`` and ``CacheControl`` of a site file."""
    suffix = Path(key).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"
    cache = "no-cache" if Path(key).name in _NO_CACHE else "public, max-age=300"
    return {"ContentType": content_type, "CacheControl": cache}


def upload_site(s3: Any, bucket: str, root: Path, api_base_url: str) -> list[str]:
    """Upload ``root`` (with a generated config.js, not the local one) and delete what it no longer
    has; return the uploaded keys."""
    if not root.is_dir():
        raise FileNotFoundError(f"no website to upload: {root} is not a folder")
    uploaded = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        if key == "config.js" or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **object_headers(key))
        uploaded.append(key)
    config = config_script(api_base_url).encode()
    s3.put_object(Bucket=bucket, Key="config.js", Body=config, **object_headers("config.js"))
    uploaded.append("config.js")

    stale = [
        {"Key": obj["Key"]}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for obj in page.get("Contents", [])
        if obj["Key"] not in uploaded
    ]
    for chunk in chunks(stale, 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": list(chunk), "Quiet": True})
    logger.info("website: %d file(s) uploaded to %s, %d removed", len(uploaded), bucket, len(stale))
    return uploaded


def invalidate_all(cloudfront: Any, distribution_id: str, reference: str) -> None:
    """Invalidate every path of the distribution (``reference`` makes the request unique)."""
    cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": reference},
    )
