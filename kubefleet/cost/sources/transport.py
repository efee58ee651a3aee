"""HTTP for the price sources: ``urllib.request`` with a timeout and a User-Agent, nothing else.

A *fetcher* is any callable ``fetch(url) -> binary stream``; the refresh code takes one as an argument,
so tests pass a local fake that serves recorded responses by URL. :func:`urllib_fetch` is the real one.
Every network failure becomes a :class:`~kubefleet.errors.CatalogError` naming the host, and saying
the catalog in use is unchanged.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any
from urllib.parse import urlsplit

from kubefleet import __version__
from kubefleet.errors import CatalogError

Fetch = Callable[[str], IO[bytes]]
Progress = Callable[[str], None]

TIMEOUT_SECONDS = 60
# One JSON document (an API page, a region index) is at most a few MB; 600 MB must not take 5 GB.
MAX_JSON_BYTES = 64 * 1024 * 1024
# The whole refresh of one provider, however the server drips its answer (a socket timeout bounds one
# read, not a server that sends a byte every 5 s). KUBEFLEET_REFRESH_DEADLINE_S overrides it.
DEFAULT_DEADLINE_S = 1800.0
_DEADLINE: list[float] = []  # monotonic time the current refresh must end by (innermost last)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every read through :func:`opened` inside this block fails once ``seconds`` have passed."""
    _DEADLINE.append(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.pop()


class Guarded:
    """A response stream read in small pieces (``read1``: one ``recv`` each, so a drip cannot hold one
    read for long), checking the overall deadline and a byte cap between pieces."""

    def __init__(self, stream: IO[bytes], url: str, max_bytes: int | None) -> None:
        self._stream = stream
        self._url = url
        self._max = max_bytes
        self.count = 0

    def _piece(self, size: int) -> bytes:
        if _DEADLINE and time.monotonic() > _DEADLINE[-1]:
            raise CatalogError(f"{host_of(self._url)} did not finish answering before the refresh deadline "
                               f"({self.count:,} bytes read); the shipped catalog (or your last refresh) is still used",
                               hint="try again later, or raise KUBEFLEET_REFRESH_DEADLINE_S (seconds)")
        if isinstance(self._stream, http.client.HTTPResponse):
            data: bytes = self._stream.read1(size)
            if not data and size and self._stream.length:  # EOF before Content-Length bytes (read1 does not raise)
                raise http.client.IncompleteRead(b"", self._stream.length)
        else:  # a test's recorded stream, or any other file-like object
            data = self._stream.read(size)
        self.count += len(data)
        if self._max is not None and self.count > self._max:
            raise CatalogError(f"{host_of(self._url)} answered with more than {self._max // 1024 // 1024} MiB "
                               "where one small JSON document was expected; the catalog in use is unchanged",
                               hint="the service may be misbehaving or behind a proxy; try again later")
        return data

    def read(self, size: int = -1) -> bytes:
        if size is not None and size >= 0:
            out = bytearray()
            while len(out) < size:
                piece = self._piece(min(size - len(out), 1 << 16))
                if not piece:
                    break
                out += piece
            return bytes(out)
        chunks: list[bytes] = []
        while piece := self._piece(1 << 16):
            chunks.append(piece)
        return b"".join(chunks)

    def close(self) -> None:
        self._stream.close()
USER_AGENT = f"kubefleet/{__version__} (+price catalog refresh)"


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url


def redact(url: str) -> str:
    """The URL without its query string values for ``key`` (an API key must never be printed)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = "&".join("key=***" if p.startswith("key=") else p for p in parts.query.split("&"))
    return parts._replace(query=query).geturl()


def unreachable(url: str, reason: object) -> CatalogError:
    return CatalogError(
        f"could not reach {host_of(url)}: {reason}; the shipped catalog (or your last refresh) is still used",
        hint="check the network or proxy (HTTPS_PROXY) and run `kubefleet prices refresh` again",
    )


def urllib_fetch(url: str) -> IO[bytes]:
    """Open ``url`` with a timeout and kubefleet's User-Agent; the caller closes the stream."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    try:
        response: IO[bytes] = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as err:
        detail = ""
        with suppress(OSError):
            detail = err.read(300).decode("utf-8", "replace").strip()
        raise unreachable(redact(url), f"HTTP {err.code} {err.reason}" + (f" ({detail})" if detail else "")) from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise unreachable(redact(url), reason) from None
    return response


@contextmanager
def opened(fetch: Fetch, url: str, max_bytes: int | None = None) -> Iterator[Any]:
    """``fetch(url)`` as a context manager: reads go through :class:`Guarded` (deadline, byte cap), and
    read errors (a cut connection, a Content-Length the body does not match) become CatalogError."""
    try:
        stream = fetch(url)
    except (http.client.HTTPException, ValueError) as err:
        raise unreachable(redact(url), f"{type(err).__name__}: {str(err)[:200]}") from None
    guarded = Guarded(stream, url, max_bytes)
    try:
        yield guarded
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
        raise unreachable(redact(url), getattr(err, "reason", err)) from None
    except http.client.HTTPException as err:  # IncompleteRead: the body is shorter than Content-Length said
        raise unreachable(redact(url), f"the answer was cut short ({type(err).__name__})") from None
    finally:
        with suppress(Exception):
            guarded.close()


def get_json(fetch: Fetch, url: str) -> Any:
    """Fetch and decode one (small) JSON document (at most ``MAX_JSON_BYTES``)."""
    with opened(fetch, url, MAX_JSON_BYTES) as stream:
        raw = stream.read()
    try:
        return json.loads(raw)
    except RecursionError:
        raise CatalogError(f"{host_of(url)} answered with JSON nested too deeply to be a price list") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CatalogError(f"{host_of(url)} answered with something that is not JSON: {err}",
                           hint="the service may be down or behind a captive portal; try again later") from None
