"""The website for the embedded default: website/ as static files, and /config.js made from the API's URL."""

from __future__ import annotations

import logging
import os
import sys
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from deploy.site import CONTENT_TYPES, config_script

logger = logging.getLogger(__name__)
WEBSITE_ROOT = Path(__file__).resolve().parent.parent / "website"
CONFIG_PATH = "/config.js"


class _WebsiteHandler(SimpleHTTPRequestHandler):
    # The same types as the site gets on S3 (ES modules need a JavaScript type, <img> image/svg+xml).
    extensions_map = {**CONTENT_TYPES, "": "application/octet-stream"}  # noqa: RUF012 (a plain class attribute)

    def __init__(self, *args: Any, config_body: bytes, directory: str, **kwargs: Any) -> None:
        self.config_body = config_body
        super().__init__(*args, directory=directory, **kwargs)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == CONFIG_PATH:
            self._send_config(head_only=False)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if self.path.split("?", 1)[0] == CONFIG_PATH:
            self._send_config(head_only=True)
        else:
            super().do_HEAD()

    def end_headers(self) -> None:
        # A local server whose files change under a developer: always revalidate.
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """A folder without index.html is not browsable."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("website %s %s", self.address_string(), format % args)

    def _send_config(self, *, head_only: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPES[".js"])
        self.send_header("Content-Length", str(len(self.config_body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(self.config_body)


class _WebsiteHttpServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that drops a connection (a lazy image scrolled away, a closed tab) is no error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("website client %s went away", client_address)
        else:
            logger.exception("website request from %s failed", client_address)


class WebsiteServer:
    """website/ on host:port from a thread of this process; port 0 picks a free one."""

    def __init__(self, api_url: str, port: int = 8081, host: str = "127.0.0.1", root: Path = WEBSITE_ROOT) -> None:
        self.api_url = api_url
        self.host = host
        self.port = port
        self.root = root
        self._server: _WebsiteHttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def origins(self) -> list[str]:
        """What a browser sends as Origin from this site, by either local name."""
        return [self.url, f"http://localhost:{self.port}"] if self.host == "127.0.0.1" else [self.url]

    def start(self) -> WebsiteServer:
        handler = partial(_WebsiteHandler, config_body=config_script(self.api_url).encode(), directory=str(self.root))
        self._server = _WebsiteHttpServer((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="website", daemon=True)
        self._thread.start()
        logger.info("Serving the website at %s", self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> WebsiteServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
