"""HTTP for the price sources: ``urllib.request`` with a timeout and a User-Agent, nothing else.

A *fetcher* is any callable ``fetch(url) -> binary stream``; the refresh code takes one as an argument,
so tests pass a local fake that serves recorded responses by URL. :func:`urllib_fetch` is the real one.
Every network failure becomes a :class:`~kubefleet.errors.CatalogError` naming the host, and saying
the catalog in use is unchanged.
"""

from __future__ import annotations

import json
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
def opened(fetch: Fetch, url: str) -> Iterator[IO[bytes]]:
    """``fetch(url)`` as a context manager that also maps read errors (a cut connection) to CatalogError."""
    stream = fetch(url)
    try:
        yield stream
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        raise unreachable(redact(url), getattr(err, "reason", err)) from None
    finally:
        stream.close()


def get_json(fetch: Fetch, url: str) -> Any:
    """Fetch and decode one (small) JSON document."""
    with opened(fetch, url) as stream:
        raw = stream.read()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CatalogError(f"{host_of(url)} answered with something that is not JSON: {err}",
                           hint="the service may be down or behind a captive portal; try again later") from None
