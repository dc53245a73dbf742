"""The marker TTL outlives every delivery of its event, and travels from `make run` to the monolith."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deploy.local import MESSAGING_TEMPLATE
from deploy.templates import load_template
from deploy.topology import queue_outputs, topology_from_outputs
from embedded.config import SystemConfig
from embedded.system import EmbeddedSystem
from monolith.config import MARKER_TTL_MARGIN_SECONDS, Settings, marker_ttl_for
from mysfits_common.settings import SettingError
from mysfits_common.worker_settings import WorkerSettings
from tests.conftest import REPO_ROOT


def test_a_marker_outlives_a_message_kept_in_its_queue_then_its_dlq_as_the_template_declares() -> None:
    # A like redriven from the DLQ on its last day must still find its marker (a late redrive).
    parameters = load_template(MESSAGING_TEMPLATE)["Parameters"]
    queue, dlq = (int(parameters[name]["Default"]) for name in ("MessageRetentionPeriod", "DeadLetterRetentionPeriod"))

    assert Settings.from_env({}).marker_ttl_seconds == marker_ttl_for(queue, dlq)
    assert marker_ttl_for(queue, dlq) >= queue + dlq + MARKER_TTL_MARGIN_SECONDS
    assert marker_ttl_for(queue, dlq) == 19 * 24 * 3600


def test_the_marker_ttl_comes_from_the_environment() -> None:
    assert Settings.from_env({"MARKER_TTL_SECONDS": "90"}).marker_ttl_seconds == 90


@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_marker_ttl_that_is_not_positive_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="MARKER_TTL_SECONDS"):
        Settings.from_env({"MARKER_TTL_SECONDS": value})


def test_make_run_passes_its_marker_ttl_to_the_services() -> None:
    config = SystemConfig.from_env({"MARKER_TTL_SECONDS": "30"})
    assert config.marker_ttl_seconds == 30
    assert EmbeddedSystem(config)._marker_ttl_env() == {"MARKER_TTL_SECONDS": "30"}
    assert EmbeddedSystem(SystemConfig.from_env({}))._marker_ttl_env() == {}


def test_publish_batching_comes_from_the_environment_within_what_sns_allows() -> None:
    settings = Settings.from_env({"PUBLISH_BATCH_ENTRIES": "1", "PUBLISH_LINGER_MS": "0"})
    assert (settings.publish_batch_entries, settings.publish_linger_ms) == (1, 0)
    assert (Settings.from_env({}).publish_batch_entries, Settings.from_env({}).publish_linger_ms) == (10, 5)
    with pytest.raises(ValueError, match="PUBLISH_BATCH_ENTRIES"):
        Settings.from_env({"PUBLISH_BATCH_ENTRIES": "11"})


def test_a_workers_environment_reaches_its_consumer_loop() -> None:
    settings = WorkerSettings.from_env(
        {
            "QUEUE_URL": "http://q",
            "WORKER_WAIT_SECONDS": "3",
            "WORKER_VISIBILITY_TIMEOUT": "45",
            "WORKER_BACKOFF_BASE_SECONDS": "4",
            "WORKER_BACKOFF_MAX_SECONDS": "60",
            "WORKER_HEALTH_FILE": "/tmp/h",
            "WORKER_AUTH_RETRY_SECONDS": "2.5",
            "WORKER_CONCURRENCY": "7",
            "MONOLITH_URL": "http://m:1",
        }
    )

    consumer = settings.consumer
    assert (consumer.queue_url, consumer.wait_seconds, consumer.visibility_timeout) == ("http://q", 3, 45)
    assert (consumer.backoff_base_seconds, consumer.backoff_max_seconds, consumer.heartbeat_seconds) == (4, 60, 15)
    assert (consumer.health_file, consumer.auth_retry_seconds) == ("/tmp/h", 2.5)
    assert (settings.concurrency, settings.monolith_url) == (7, "http://m:1")
    with pytest.raises(SystemExit, match="QUEUE_URL"):
        WorkerSettings.from_env({})


def test_make_run_reads_the_workers_long_poll_from_the_environment() -> None:
    system = EmbeddedSystem(SystemConfig.from_env({"WORKER_WAIT_SECONDS": "2"}))

    assert system.config.worker_wait_seconds == 2
    assert SystemConfig.from_env({}).worker_wait_seconds == 20


def test_an_empty_worker_setting_is_its_default_as_for_the_monolith() -> None:
    env = {"QUEUE_URL": "http://queue", "WORKER_WAIT_SECONDS": "", "WORKER_CONCURRENCY": ""}
    settings = WorkerSettings.from_env(env)
    assert (settings.consumer.wait_seconds, settings.concurrency) == (20, WorkerSettings.concurrency)


@pytest.mark.parametrize("worker", ["like_worker", "adopt_worker"])
def test_a_worker_setting_that_is_not_a_number_stops_it_with_one_line_naming_it(worker: str) -> None:
    env = {**os.environ, "QUEUE_URL": "http://127.0.0.1:1/queue", "WORKER_CONCURRENCY": "lots"}
    result = subprocess.run(
        [sys.executable, "-m", worker], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == f"{worker}: WORKER_CONCURRENCY must be a whole number, not 'lots'"


def test_the_internal_port_comes_from_the_environment_and_is_off_without_it() -> None:
    assert Settings.from_env({"INTERNAL_PORT": "8081"}).internal_port == 8081
    assert Settings.from_env({}).internal_port is None
    assert Settings.from_env({"INTERNAL_PORT": ""}).internal_port is None


def test_make_run_gives_the_monolith_an_internal_port_and_the_workers_its_url() -> None:
    system = EmbeddedSystem(SystemConfig(api_port=18080, internal_port=18082))

    assert system.internal_url == "http://127.0.0.1:18082" != system.api_url


@pytest.mark.parametrize(("value", "on"), [("false", False), ("off", False), ("0", False), ("No", False),
                                           ("true", True), ("1", True), ("ON", True), ("", True)])
def test_make_run_and_the_monolith_read_the_pipeline_switch_alike(value: str, on: bool) -> None:
    env = {"PIPELINE_VIEW": value}

    assert SystemConfig.from_env(env).pipeline_view is on
    assert Settings.from_env(env).pipeline_view is (on and value != "")  # the monolith's default is off


def test_a_switch_that_is_neither_on_nor_off_names_its_variable() -> None:
    with pytest.raises(SettingError, match="PIPELINE_VIEW must be one of"):
        SystemConfig.from_env({"PIPELINE_VIEW": "maybe"})


def test_the_monolith_reads_back_what_make_run_hands_it() -> None:
    # GIVEN a runner whose settings differ from every default the monolith has
    config = SystemConfig(like_mode="inline", pipeline_view=False, switch_cache_seconds=0.5,
                          cors_allowed_origins=("http://a.test", "http://b.test"), marker_ttl_seconds=60)
    system = EmbeddedSystem(config)
    outputs = {"MysfitsTableName": "t", "ProcessedEventsTableName": "p", "EventsTopicArn": "arn:topic",
               "LikeModeParameterName": "/like", "AdoptModeParameterName": "/adopt"}
    queues = {key: key for queue in ("like", "adoption") for key in queue_outputs(queue)}
    system.topology = topology_from_outputs(outputs | queues)

    # WHEN the monolith reads the environment the runner starts it with
    settings = Settings.from_env(system._service_env())

    # THEN it has what the runner meant
    assert (settings.like_mode, settings.adopt_mode, settings.pipeline_view) == ("inline", "queue", False)
    assert (settings.switch_cache_seconds, settings.marker_ttl_seconds) == (0.5, 60)
    assert settings.cors_allowed_origins == ("http://a.test", "http://b.test")
    assert (settings.mysfits_table, settings.events_topic_arn) == ("t", "arn:topic")
    assert (settings.like_mode_parameter, settings.adopt_mode_parameter) == ("/like", "/adopt")
    assert (settings.like_dlq_url, settings.adoption_queue_url) == ("LikeDeadLetterQueueUrl", "AdoptionQueueUrl")
    assert settings.fulfil_secret == config.fulfil_secret != ""


def test_make_run_refuses_a_mode_the_monolith_would_refuse() -> None:
    with pytest.raises(SettingError, match="LIKE_MODE must be one of"):
        SystemConfig.from_env({"LIKE_MODE": "sideways"})
