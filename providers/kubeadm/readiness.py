"""Gate resources on the API server answering ``/readyz`` through the VIP.

The VMs exist long before the API server does (cloud-init installs packages, ``kubeadm init`` runs, kube-vip
takes the VIP). Anything that talks to the cluster (the Istio Helm releases, the bootstrap-token Secret)
depends on an ``ApiReady`` resource, a Pulumi dynamic resource whose ``create`` polls
``https://<vip>:6443/readyz`` with the cluster CA until it answers 200 ``ok``, for at most
``READY_TIMEOUT_S`` (or ``$KUBEFLEET_READY_TIMEOUT_S`` seconds, read by the engine's provider process at
apply time, for a slow datacenter or a test). ``/readyz`` is readable without credentials (kubeadm keeps the default
``system:public-info-viewer`` binding), so no secret is involved.
"""

from __future__ import annotations

import os
import ssl
import time
import urllib.error
import urllib.request
from typing import Any, Final

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider

#: Upper bound for the first API server to come up (package installs, kubeadm init, Calico).
READY_TIMEOUT_S: Final = 45 * 60
_POLL_S: Final = 10
TIMEOUT_ENV: Final = "KUBEFLEET_READY_TIMEOUT_S"
_MAX_TIMEOUT_S: Final = 24 * 3600


def ready_timeout_s(value: str | None = None) -> int:
    """How long ``create`` waits: ``$KUBEFLEET_READY_TIMEOUT_S`` (whole seconds, 1..86400) or 45 min."""
    text = os.environ.get(TIMEOUT_ENV, "") if value is None else value
    if not text.strip():
        return READY_TIMEOUT_S
    try:
        seconds = int(text.strip())
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= _MAX_TIMEOUT_S:
        raise ValueError(f"{TIMEOUT_ENV}={text!r}: give whole seconds between 1 and {_MAX_TIMEOUT_S}")
    return seconds


def probe(url: str, ca_pem: str, timeout_s: float = 5.0) -> bool:
    """One ``GET url``: true when the server proves the cluster CA and says ``ok``."""
    # hostname checking stays on: the VIP is the controlPlaneEndpoint and a certSAN of the API server
    context = ssl.create_default_context(cadata=ca_pem)
    try:
        with urllib.request.urlopen(url, timeout=timeout_s, context=context) as response:
            return bool(response.status == 200 and response.read(64).strip() == b"ok")
    except (OSError, urllib.error.URLError, ssl.SSLError):
        return False


def wait_ready(url: str, ca_pem: str, deadline_s: float = READY_TIMEOUT_S, poll_s: float = _POLL_S) -> None:
    stop = time.monotonic() + deadline_s
    while True:
        if probe(url, ca_pem):
            return
        if time.monotonic() >= stop:
            raise TimeoutError(f"{url} did not answer ok within {int(deadline_s)} s")
        time.sleep(poll_s)


class _ReadyProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        wait_ready(str(props["url"]), str(props["caPem"]), deadline_s=ready_timeout_s())
        return CreateResult(id_=str(props["url"]), outs=dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # a new endpoint or a new CA is a new cluster: wait for it again (replace); nothing else matters
        changed = [key for key in ("url", "caPem") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=True)


class ApiReady(Resource):
    """Created once the API server behind ``url`` answers ``/readyz``; re-created only when the URL or the CA
    changes (a new cluster)."""

    def __init__(
        self, name: str, url: str, ca_pem: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(_ReadyProvider(), name, {"url": url, "caPem": ca_pem}, opts)


def readyz_url(endpoint: str) -> str:
    return f"{endpoint.rstrip('/')}/readyz"
