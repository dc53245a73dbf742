"""gunicorn settings, from the environment: gunicorn -c monolith/gunicorn.conf.py monolith.wsgi:app"""

import os
from typing import Any

# The app's modules (Flask, boto3 and ours), imported once here in the master: each worker forks
# with them loaded instead of importing them again, about 0.6 s of CPU per worker start. Importing
# connects to nothing (no client, socket or thread exists before the fork); each worker still
# builds its own app and clients in monolith.wsgi. (So a SIGHUP reload restarts the workers on the
# code the master imported: deploy new code with a new process, as a new task does.)
from monolith.app import AWS_SERVICES, close_app
from monolith.config import INTERNAL_PORT
from mysfits_common import aws
from mysfits_common.settings import whole_number

# The same for botocore's data files: the service models and endpoint rules of the app's clients,
# parsed here once (no credentials are resolved and nothing connects), about 0.2 s of CPU per worker.
aws.preload(*AWS_SERVICES)

# The public port, and the internal routes' own (INTERNAL_PORT: monolith.app serves them there only).
_host = os.environ.get("HOST", "0.0.0.0")
bind = [f"{_host}:{port}" for port in (os.environ.get("PORT", "8080"), INTERNAL_PORT.read(os.environ)) if port]
workers = whole_number(os.environ, "WEB_CONCURRENCY", 2)
# Requests a process serves at once: the publish batcher can only share a PublishBatch among those, so
# at least ten (SNS's batch size); the threads mostly wait on SNS and DynamoDB, not on the CPU.
threads = whole_number(os.environ, "GUNICORN_THREADS", 16)
timeout = whole_number(os.environ, "GUNICORN_TIMEOUT", 30)
graceful_timeout = whole_number(os.environ, "GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = whole_number(os.environ, "GUNICORN_KEEPALIVE", 75)  # above the ALB's 60 s idle timeout
accesslog = None  # the app logs one JSON line per request
errorlog = "-"
control_socket_disable = True  # one shared socket path per user would collide between instances


def worker_exit(_server: Any, worker: Any) -> None:
    """The worker has stopped taking requests (SIGTERM): publish every event still waiting for a batch."""
    close_app(worker.wsgi)
