"""The embedded system: emulator, topology from the CloudFormation templates, seed, monolith, workers, website."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from deploy.endpoints import Endpoints, with_emulator_credentials
from deploy.local import deploy_local_topology, seed_topology
from deploy.topology import Topology
from embedded.config import SystemConfig
from embedded.processes import ManagedProcess, answers, free_port, wait_until
from embedded.website import WebsiteServer
from monolith import config as monolith
from mysfits_common import worker_settings
from mysfits_common.settings import FULFIL_SECRET

logger = logging.getLogger(__name__)
WORKERS = ("like_worker", "adopt_worker")
_REPO_ROOT = Path(__file__).resolve().parent.parent


class SystemFailed(RuntimeError):
    """A process of the system exited while it started; ``str(error)`` says which, and where to look."""


class EmbeddedSystem:
    """Starts the pieces in dependency order and stops them in reverse; restarts a worker that dies."""

    def __init__(self, config: SystemConfig) -> None:
        self.config = config
        self.emulator: ManagedProcess | None = None
        self.monolith: ManagedProcess | None = None
        self.workers: dict[str, ManagedProcess] = {}
        self.website: WebsiteServer | None = None
        self.topology: Topology | None = None
        self.endpoint_url = config.endpoint_url or f"http://127.0.0.1:{config.emulator_port}"
        self.api_url = f"http://127.0.0.1:{config.api_port}"
        # The workers' way in, as on AWS: fulfil and readiness are served on this port only.
        self.internal_port = config.internal_port or free_port()
        self.internal_url = f"http://127.0.0.1:{self.internal_port}"
        self.website_url = f"http://127.0.0.1:{config.website_port}"
        self.restarts: dict[str, int] = dict.fromkeys(WORKERS, 0)
        self._supervising = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._workers_lock = threading.Lock()
        self.killed = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> EmbeddedSystem:
        self.killed = False
        try:
            if self.config.serve_website:
                self.start_website()
            self.start_emulator()
            self.deploy()
            self.start_monolith()
            if self.config.run_workers:
                for name in WORKERS:
                    self.start_worker(name)
                self._start_supervisor()
        except BaseException as error:
            if not self.stop_or_kill() and not isinstance(error, KeyboardInterrupt):
                raise KeyboardInterrupt from error  # a Ctrl-C during the clean-up is not lost
            raise
        return self

    def stop(self) -> None:
        self._supervising.clear()
        if self._supervisor is not None:
            self._supervisor.join(10)
        # All workers drain at once, then the monolith their last fulfil calls go to.
        if self.workers:
            logger.info(
                "Stopping %s: each finishes the messages it is handling and returns the rest",
                ", ".join(self.workers),
            )
        for worker in self.workers.values():
            worker.signal(signal.SIGTERM)
        for worker in self.workers.values():
            worker.stop(timeout=self.config.worker_wait_seconds + 15)
        if self.monolith is not None:
            self.monolith.stop(timeout=25)
        if self.emulator is not None:
            self.emulator.stop(timeout=5)
        if self.website is not None:
            self.website.stop()

    def stop_or_kill(self) -> bool:
        """stop(); a KeyboardInterrupt meanwhile (a second Ctrl-C) kills every process instead.
        True when every process stopped in order; after a kill, nothing is left to stop."""
        if not self.killed:
            try:
                self.stop()
            except KeyboardInterrupt:
                self.kill()
        return not self.killed

    def kill(self) -> None:
        """SIGKILL every process now, with no drain: for a user who asked twice to stop."""
        self._supervising.clear()
        for process in [*self.workers.values(), self.monolith, self.emulator]:
            if process is not None:
                process.kill_group()
        self.killed = True

    def __enter__(self) -> EmbeddedSystem:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the pieces --------------------------------------------------------------------------

    def start_website(self) -> WebsiteServer:
        """Serve website/ first: it is cheap, and the monolith's CORS needs the site's bound origin."""
        self.website = WebsiteServer(self.api_url, port=self.config.website_port).start()
        self.website_url = self.website.url
        return self.website

    def start_emulator(self) -> None:
        """Start moto's server unless an endpoint was given or something already serves the port."""
        if self.config.endpoint_url is not None or answers(self.endpoint_url):
            logger.info("Using the emulator already at %s", self.endpoint_url)
            return
        argv = [sys.executable, "-m", "embedded.emulator", "-H", "127.0.0.1", "-p", str(self.config.emulator_port)]
        env = {**self._base_env(), **({"EMULATOR_COUNT_REQUESTS": "1"} if self.config.count_requests else {})}
        self.emulator = ManagedProcess("emulator", argv, env, self._log_path("emulator", force=True))
        self.emulator.start()
        wait_until(lambda: answers(self.endpoint_url), 30, f"the emulator at {self.endpoint_url}")

    def deploy(self) -> Topology:
        """Create the tables, topic and queues from the templates, then seed the catalogue.

        Where each lands is boto3's standard configuration as the services will see it: the default
        endpoint is this system's (its emulator or ``AWS_ENDPOINT_URL``), and ``AWS_ENDPOINT_URL_<SERVICE>``
        moves one service elsewhere, for the runner as for the monolith and the workers.
        """
        endpoints = Endpoints(self._aws_env(), self.config.region)
        self.topology = deploy_local_topology(
            endpoints,
            project=self.config.project,
            max_receive_count=self.config.max_receive_count,
            visibility_timeout=self.config.visibility_timeout,
            like_mode=self.config.like_mode,
            adopt_mode=self.config.adopt_mode,
        )
        inserted = seed_topology(endpoints, self.topology)
        logger.info("Seeded %d mysfits", inserted)
        return self.topology

    def start_monolith(self) -> ManagedProcess:
        """Start (or restart, after a crash) the monolith under gunicorn and wait until it answers."""
        if self.monolith is not None:
            self.monolith.stop()
        argv = [sys.executable, "-m", "gunicorn", "-c", "monolith/gunicorn.conf.py", "monolith.wsgi:app"]
        env = {
            **self._service_env(),
            "HOST": "127.0.0.1",  # gunicorn.conf.py's
            "PORT": str(self.config.api_port),
            **monolith.INTERNAL_PORT.env(self.internal_port),
        }
        self.monolith = ManagedProcess("monolith", argv, env, self._log_path("monolith")).start()
        wait_until(self._monolith_ready, 60, f"the monolith at {self.api_url}/health")
        return self.monolith

    def start_worker(self, name: str) -> ManagedProcess:
        """Start (or replace) a worker; one that is still running is stopped first."""
        assert self.topology is not None
        if name in self.workers:
            self.workers[name].stop()
        (queue_url,) = (queue.url for queue in self.topology.queues.values() if queue.worker == name)
        env = {
            **self._service_env(),
            **worker_settings.QUEUE_URL.env(queue_url),
            **worker_settings.MONOLITH_URL.env(self.internal_url),
            **worker_settings.WORKER_WAIT_SECONDS.env(self.config.worker_wait_seconds),
            **worker_settings.WORKER_VISIBILITY_TIMEOUT.env(self.config.visibility_timeout),
            **worker_settings.WORKER_STATUS_FILE.env(str(self.status_dir / f"{name}.json")),
        }
        worker = ManagedProcess(name, [sys.executable, "-m", name], env, self._log_path(name))
        with self._workers_lock:
            self.workers[name] = worker.start()
        return worker

    def supervise_once(self) -> None:
        """Restart any worker that died, as an ECS service replaces a stopped task."""
        with self._workers_lock:
            dead = [name for name, worker in self.workers.items() if not worker.running]
        for name in dead:
            logger.warning("%s exited with %s; restarting it", name, self.workers[name].returncode)
            self.restarts[name] += 1
            self.start_worker(name)

    def _start_supervisor(self) -> None:
        def supervise() -> None:
            while self._supervising.is_set():
                self.supervise_once()
                time.sleep(0.5)

        self._supervising.set()
        self._supervisor = threading.Thread(target=supervise, name="supervisor", daemon=True)
        self._supervisor.start()

    # -- helpers -----------------------------------------------------------------------------

    def _monolith_ready(self) -> bool:
        if self.monolith is not None and not self.monolith.running:
            raise SystemFailed(f"the monolith exited with {self.monolith.returncode}; see its log")
        return answers(f"{self.api_url}/")

    def _base_env(self) -> dict[str, str]:
        env = with_emulator_credentials(os.environ)
        return {**env, "PYTHONUNBUFFERED": "1", "AWS_DEFAULT_REGION": self.config.region}

    def _aws_env(self) -> dict[str, str]:
        """The base environment with this system's endpoint as the default one."""
        return {**self._base_env(), "AWS_ENDPOINT_URL": self.endpoint_url}

    def _service_env(self) -> dict[str, str]:
        """The settings the monolith and the workers share, each handed on through its definition."""
        assert self.topology is not None
        topology, config = self.topology, self.config
        like, adoption = topology.queues["like"], topology.queues["adoption"]
        settings = (
            monolith.MYSFITS_TABLE.env(topology.mysfits_table),
            monolith.PROCESSED_EVENTS_TABLE.env(topology.processed_events_table),
            monolith.EVENTS_TOPIC_ARN.env(topology.events_topic_arn),
            monolith.LIKE_MODE.env(config.like_mode),
            monolith.ADOPT_MODE.env(config.adopt_mode),
            monolith.LIKE_MODE_PARAMETER.env(topology.mode_parameters["like"]),
            monolith.ADOPT_MODE_PARAMETER.env(topology.mode_parameters["adopt"]),
            monolith.SWITCH_CACHE_SECONDS.env(config.switch_cache_seconds),
            monolith.PIPELINE_VIEW.env(config.pipeline_view),
            monolith.LIKE_QUEUE_URL.env(like.url),
            monolith.LIKE_DLQ_URL.env(like.dlq_url),
            monolith.ADOPTION_QUEUE_URL.env(adoption.url),
            monolith.ADOPTION_DLQ_URL.env(adoption.dlq_url),
            monolith.WORKER_STATUS_DIR.env(str(self.status_dir)),
            FULFIL_SECRET.env(config.fulfil_secret),
            monolith.CORS_ALLOWED_ORIGINS.env(self._cors_allowed_origins()),
            self._marker_ttl_env(),
        )
        env = self._aws_env()
        for setting in settings:
            env.update(setting)
        return {**env, **config.extra_env}

    @property
    def status_dir(self) -> Path:
        """The workers' status files, as an absolute path (the children run in the repository)."""
        return self.config.status_dir if self.config.status_dir.is_absolute() else _REPO_ROOT / self.config.status_dir

    def _marker_ttl_env(self) -> dict[str, str]:
        """None: none, so that the monolith keeps its own default."""
        return monolith.MARKER_TTL_SECONDS.env(self.config.marker_ttl_seconds)

    def _cors_allowed_origins(self) -> tuple[str, ...]:
        """The configured origins, plus this system's own website so that it works without configuration."""
        origins = list(self.config.cors_allowed_origins)
        if self.website is not None:
            origins += [origin for origin in self.website.origins if origin not in origins]
        return tuple(origins)

    def _log_path(self, name: str, force: bool = False) -> Path | None:
        if self.config.log_dir is not None:
            return self.config.log_dir / f"{name}.log"
        if force:
            return Path(".run") / f"{name}.log"
        return None
