# The three images, one stage each on a shared base. Build context is the repository root:
#   docker build --target monolith     -t mysfits/monolith:$(git rev-parse HEAD) .
#   docker build --target like-worker  -t mysfits/like-worker:$(git rev-parse HEAD) .
#   docker build --target adopt-worker -t mysfits/adopt-worker:$(git rev-parse HEAD) .
FROM python:3.11.14-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

# Dependencies first, code second: a code change reuses the cached dependency layer.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY mysfits_common/ mysfits_common/

# Fargate mounts the task's /tmp volume (the only writable path: the root is read-only) as an empty
# directory owned by root, mode 0755, unless the image declares the path a VOLUME; then the image's
# /tmp (mode 1777) is copied in, and the app user can write gunicorn's heartbeat and the health file.
VOLUME ["/tmp"]


# ---------------------------------------------------------------- the monolith: Flask under gunicorn
FROM base AS monolith
COPY monolith/ monolith/
# Byte-compile now: at run time the root filesystem is read-only.
RUN python -m compileall -q mysfits_common monolith
USER 10001:10001
# The internal routes (fulfil, readiness) on their own port, which the public one does not have.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    INTERNAL_PORT=8081
EXPOSE 8080 8081
# Liveness: GET / touches no dependency.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "mysfits_common.healthcheck", "--url", "http://127.0.0.1:8080/"]
# Workers, threads and timeouts come from WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT,
# GUNICORN_GRACEFUL_TIMEOUT and GUNICORN_KEEPALIVE (monolith/gunicorn.conf.py).
CMD ["gunicorn", "-c", "monolith/gunicorn.conf.py", "monolith.wsgi:app"]


# ---------------------------------------------------------------- the workers: python -m <worker>
# The consumer loop touches WORKER_HEALTH_FILE on every poll; the health check reads its age.
# SIGTERM stops receiving and drains in-flight messages; exec form so the worker gets it.
FROM base AS like-worker
COPY like_worker/ like_worker/
RUN python -m compileall -q mysfits_common like_worker
USER 10001:10001
ENV WORKER_HEALTH_FILE=/tmp/worker-health
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "mysfits_common.healthcheck"]
CMD ["python", "-m", "like_worker"]


FROM base AS adopt-worker
COPY adopt_worker/ adopt_worker/
RUN python -m compileall -q mysfits_common adopt_worker
USER 10001:10001
ENV WORKER_HEALTH_FILE=/tmp/worker-health
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "mysfits_common.healthcheck"]
CMD ["python", "-m", "adopt_worker"]
