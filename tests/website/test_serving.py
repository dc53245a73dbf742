"""How the embedded default serves the website: static files, the generated config.js, and CORS for its origin."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator

import pytest
import requests

from embedded.system import EmbeddedSystem
from embedded.website import WEBSITE_ROOT, WebsiteServer
from monolith.seed import catalogue
from tests.website.conftest import CONFIGURED_ORIGIN

API_URL = "http://127.0.0.1:18080"


@pytest.fixture(scope="module")
def server() -> Iterator[WebsiteServer]:
    with WebsiteServer(API_URL, port=0) as running:
        yield running


def get(server: WebsiteServer, path: str) -> requests.Response:
    return requests.get(server.url + path, timeout=5, allow_redirects=False)


def test_config_js_points_the_site_at_the_running_api(server: WebsiteServer) -> None:
    response = get(server, "/config.js")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    match = re.fullmatch(r"window\.MYSFITS_CONFIG = Object\.freeze\((\{.*\})\);\n", response.text)
    assert match is not None, response.text
    assert json.loads(match.group(1)) == {"apiBaseUrl": API_URL}


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/css/site.css", "text/css"),
        ("/js/app.js", "text/javascript"),
        ("/images/mystery.svg", "image/svg+xml"),
    ],
)
def test_files_are_served_with_their_content_type(server: WebsiteServer, path: str, content_type: str) -> None:
    response = get(server, path)

    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_catalogue_mysfit_has_its_own_picture(server: WebsiteServer) -> None:
    for mysfit in catalogue():
        slug = mysfit.name.lower().replace(" ", "-")
        assert mysfit.thumb_image_uri == mysfit.profile_image_uri == f"images/{slug}.svg"
        response = get(server, "/" + mysfit.thumb_image_uri)
        assert response.status_code == 200, mysfit.name
        assert response.headers["Content-Type"] == "image/svg+xml"
        assert f"<title id=\"t\">{mysfit.name}, the {mysfit.species}</title>" in response.text


@pytest.mark.parametrize("path", ["/images/", "/js/", "/missing.html", "/images/nobody.svg"])
def test_folders_are_not_listed_and_missing_files_are_404(server: WebsiteServer, path: str) -> None:
    response = get(server, path)

    assert response.status_code == 404
    assert "Directory listing" not in response.text


def test_nothing_outside_the_website_folder_is_served(server: WebsiteServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "/../embedded/website.py")
    response = connection.getresponse()

    assert response.status == 404
    assert b"WebsiteServer" not in response.read()
    assert (WEBSITE_ROOT.parent / "embedded" / "website.py").exists()


@pytest.mark.e2e
def test_the_api_allows_the_sites_origin_and_the_configured_ones_only(system: EmbeddedSystem) -> None:
    assert system.website is not None
    allowed = [*system.website.origins, CONFIGURED_ORIGIN]
    assert system.website.url in allowed and any("localhost" in origin for origin in allowed)

    for origin in allowed:
        response = requests.get(f"{system.api_url}/mysfits", headers={"Origin": origin}, timeout=5)
        assert response.headers.get("Access-Control-Allow-Origin") == origin
    other = requests.get(f"{system.api_url}/mysfits", headers={"Origin": "http://evil.test"}, timeout=5)
    assert "Access-Control-Allow-Origin" not in other.headers
