"""python -m embedded: run the whole system locally and print its URLs; Ctrl-C stops it."""

from __future__ import annotations

import logging
import signal
import time

from embedded.config import SystemConfig
from embedded.processes import port_in_use
from embedded.system import EmbeddedSystem
from mysfits_common.logs import configure_logging
from mysfits_common.settings import SettingError

logger = logging.getLogger("embedded")


def install_stop_signals() -> None:
    """Turn SIGTERM and SIGINT into KeyboardInterrupt so `kill` stops the system as cleanly as Ctrl-C.

    SIGINT too: a shell starts a background job with SIGINT ignored, and Python then leaves it
    ignored, so a runner started with `&` (or by a tool that does) could not be stopped with it.
    """

    signals = 0

    def interrupt(_signum: int, _frame: object) -> None:
        nonlocal signals
        signals += 1
        if signals >= 2:  # the second asks for a kill: nothing may interrupt that
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def main() -> int:
    configure_logging("embedded")
    install_stop_signals()
    try:
        config = SystemConfig.from_env()
    except SettingError as error:
        logger.error("Cannot start: %s", error)
        return 2
    if port_in_use(config.api_port):
        logger.error("Port %d is in use: set API_PORT to a free port", config.api_port)
        return 1
    if config.serve_website and port_in_use(config.website_port):
        logger.error("Port %d is in use: set WEBSITE_PORT to a free port", config.website_port)
        return 1
    system = EmbeddedSystem(config)
    try:
        system.start()
        assert system.topology is not None
        example = f"{system.api_url}/mysfits/$(curl -s {system.api_url}/mysfits | python3 -c " \
            "'import json,sys; print(json.load(sys.stdin)[\"mysfits\"][0][\"mysfitId\"])')/like"
        website = f"  Website:   {system.website_url}\n" if system.website is not None else ""
        if system.website is not None and config.pipeline_view:
            website += f"  Pipeline:  {system.website_url}/pipeline.html\n"
        print(
            "\nMythical Mysfits is running on the embedded default.\n"
            f"  API:       {system.api_url}\n"
            f"{website}"
            f"  Emulator:  {system.endpoint_url}\n"
            f"  Operate:   AWS_ENDPOINT_URL={system.endpoint_url} .venv/bin/python -m ops status\n"
            f"  Try:       curl {system.api_url}/mysfits\n"
            f"             curl -X POST {example}\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while True:  # the system's supervisor restarts a worker that dies
            time.sleep(1)
    except KeyboardInterrupt:
        logger.info("Stopping; Ctrl-C again stops every process at once")
    except BaseException:
        stop(system)
        raise
    return stop(system)


def stop(system: EmbeddedSystem) -> int:
    """Stop in order (workers drain first); a second Ctrl-C or SIGTERM meanwhile, here or while the
    system was still starting, kills everything at once."""
    if system.stop_or_kill():
        return 0
    logger.warning("Stopped at once: every process was killed; the workers did not drain")
    return 130


if __name__ == "__main__":
    raise SystemExit(main())
