"""The bare baseline of the publish side: a Flask endpoint that only publishes, one Publish per like.

    gunicorn --workers N --threads T bench.bare_app:app   (EVENTS_TOPIC_ARN, AWS_ENDPOINT_URL set)

No id check, no envelope validation, no request log, no batching: the least a process can do to
turn a POST into an SNS message the like queue's filter takes. ``python -m bench`` compares the
monolith's CPU per like with this one's, under the same gunicorn settings and the same load.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from typing import Any

from flask import Flask, Response, jsonify

from mysfits_common import aws

_client_lock = threading.Lock()
_clients: list[Any] = []


def _sns() -> Any:
    """Built once per gunicorn worker, by its first request (not once per thread that races to it)."""
    with _client_lock:
        if not _clients:
            _clients.append(aws.client("sns"))
        return _clients[0]


def create_bare_app(topic_arn: str) -> Flask:
    app = Flask(__name__, static_folder=None)

    @app.post("/mysfits/<mysfit_id>/like")
    def like(mysfit_id: str) -> tuple[Response, int]:
        """Publish a LikeRequested body and answer 202."""
        event_id = str(uuid.uuid4())
        _sns().publish(
            TopicArn=topic_arn,
            Message=json.dumps({"eventId": event_id, "eventType": "LikeRequested", "mysfitId": mysfit_id}),
            MessageAttributes={"event_type": {"DataType": "String", "StringValue": "LikeRequested"}},
        )
        return jsonify({"status": "accepted", "eventId": event_id}), 202

    @app.get("/")
    def root() -> Response:
        """Health check: the process answers."""
        return jsonify({"status": "ok"})

    return app


app = create_bare_app(os.environ.get("EVENTS_TOPIC_ARN", ""))
