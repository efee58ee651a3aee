"""`prices refresh` against a real HTTP server on 127.0.0.1 serving each bad answer (issue 14).

The Azure Retail Prices fetcher runs unchanged over the real urllib transport; a fetch function maps
each API URL to the loopback server, which answers with a recorded page (tests/data/prices/azure)
altered per scenario: 1e99999, a 400-digit integer, a drip of one byte every 0.4 s, a 600 MB body,
a Content-Length larger than the body, bytes that are not UTF-8. Every case must end in a
CatalogError within the deadline, leave the cached file as it was, and leave `compare` working.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

import pytest
from typer.testing import CliRunner

from kubefleet.cost.sources import refresh, transport
from kubefleet.cost.sources.cache import active_catalog, cached_file
from kubefleet.errors import CatalogError
from tests.hostile_cases import good_spec
from tests.test_pricing_sources import PREVIOUS_AKS, azure_routes, write_previous

TODAY = date(2026, 11, 28)


def _body_for(url: str) -> bytes:
    body = azure_routes()[url]
    return body.read_bytes() if isinstance(body, Path) else body


class Handler(BaseHTTPRequestHandler):
    scenario = "ok"

    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        scenario, url = query["s"][0], query["u"][0]
        body = _body_for(url)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped reading
            self._answer(scenario, body)

    def _answer(self, scenario: str, body: bytes) -> None:
        if scenario in ("inf", "digits", "tenfold") and b'"retailPrice": 0.096' in body:
            value = {"inf": b"1e99999", "digits": b"9" * 400, "tenfold": b"0.96100"}[scenario]
            body = body.replace(b'"retailPrice": 0.096', b'"retailPrice": ' + value, 1)
        if scenario == "latin1":
            body = body.replace(b'"Items"', "\"Itéms\"".encode("latin-1"), 1)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if scenario == "huge":
            size = 600 * 1024 * 1024
            self.send_header("Content-Length", str(size))
            self.end_headers()
            block = b" " * (1 << 20)
            for _ in range(600):
                self.wfile.write(block)
            return
        if scenario == "lie":
            self.send_header("Content-Length", str(len(body) + 5000))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if scenario == "drip":
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(0.4)
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # loopback only
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def loopback(base: str, scenario: str) -> transport.Fetch:
    def fetch(url: str) -> IO[bytes]:
        return transport.urllib_fetch(f"{base}?s={scenario}&u={urllib.parse.quote(url, safe='')}")
    return fetch


def test_a_good_answer_over_loopback_replaces_the_file(server: str) -> None:
    write_previous("aks", PREVIOUS_AKS)
    result = refresh.refresh_provider("aks", today=TODAY, fetch=loopback(server, "ok"), deadline_s=60)
    assert result.regions == {"eastus": 4}


@pytest.mark.parametrize(("scenario", "message"), [
    ("inf", "not a finite number"),
    ("digits", "not a plausible list price"),
    ("tenfold", "more than 10× away"),
    ("latin1", "not JSON"),
    ("lie", "cut short"),
    ("huge", "more than 64 MiB"),
    ("drip", "deadline"),
])
def test_bad_answers_change_nothing(server: str, scenario: str, message: str) -> None:
    before = write_previous("aks", PREVIOUS_AKS).read_bytes()
    start = time.monotonic()
    with pytest.raises(CatalogError, match=message):
        refresh.refresh_provider("aks", today=TODAY, fetch=loopback(server, scenario), deadline_s=3)
    assert time.monotonic() - start < 20  # the deadline (3 s) plus one read, not the 240 s of the issue
    assert cached_file("aks").read_bytes() == before
    assert active_catalog().warnings == []


def test_large_changes_can_be_accepted(server: str) -> None:
    write_previous("aks", PREVIOUS_AKS)
    result = refresh.refresh_provider("aks", today=TODAY, fetch=loopback(server, "tenfold"), deadline_s=60,
                                      accept_large_changes=True)
    d2 = active_catalog().instance("aks", "eastus", "Standard_D2s_v5")
    assert result.regions and d2 is not None and str(d2.price.amount) == "0.961"


@pytest.mark.parametrize("content", [
    b"\xff\xfe\x00 not utf-8",
    b"provider: aks\ncurrency: USD\nsources: {}\ninstances: {eastus: {x: {price: 1e99999}}}\n",
    b"[" * 10_000,
])
def test_a_broken_price_overlay_falls_back_to_the_shipped_catalog(content: bytes, tmp_path: Path) -> None:
    """A cached catalog file that does not load used to make every `compare` exit 70 until deleted."""
    from kubefleet.cli.app import app

    path = cached_file("aks")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    catalog = active_catalog()
    assert catalog.warnings and str(path) in catalog.warnings[0]
    assert catalog.instance("aks", "eastus", "Standard_D4s_v5") is not None  # the shipped figure
    spec = tmp_path / "c.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    res = CliRunner().invoke(app, ["compare", str(spec), "--providers", "aks", "--output", "json"])
    assert res.exit_code == 0, res.output
    assert "warning:" in res.output and "shipped catalog is used" in res.output
    json.loads(res.output[res.output.index("{"):])  # stdout is still the JSON document
