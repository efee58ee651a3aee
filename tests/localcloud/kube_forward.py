"""The local cloud's ``kubernetes`` plugin in front of a REAL kube-apiserver (the kubeadm e2e's management
cluster: tests/capi_apiserver.py, Cluster API's CRDs installed and its managers' webhooks registered).

pulumi-kubernetes' own plugin is a Go binary that is not on the module proxy here; this stand-in makes the
calls it makes, as its documentation states them, and nothing decides for the apiserver:

- create and update: server-side apply (``PATCH`` with ``application/apply-patch+yaml``, a field manager,
  ``force``), pulumi-kubernetes' default mode since v4; the apiserver, the CRDs' schemas and CEL rules and
  Cluster API's admission webhooks accept or refuse, and their message is the resource's error;
- ``pulumi.com/waitFor: condition=<Type>`` on an object: wait until its ``status.conditions`` has that type
  True (pulumi-kubernetes 4.18+ generic await), bounded by ``pulumi.com/timeoutSeconds``;
- read (``Secret.get``, refresh): ``GET`` by ``<namespace>/<name>``; a 404 is "gone";
- delete: ``DELETE``, then wait until the object is gone, as pulumi-kubernetes waits for finalizers.

Only used when ``KUBEFLEET_LOCALCLOUD_KUBE_FORWARD`` names the apiserver URL and the provider's kubeconfig
points at exactly that URL on loopback; every other kubernetes resource stays in the local cloud's files.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

FORWARD_ENV: Final = "KUBEFLEET_LOCALCLOUD_KUBE_FORWARD"
WAIT_FOR: Final = "pulumi.com/waitFor"
TIMEOUT: Final = "pulumi.com/timeoutSeconds"
FIELD_MANAGER: Final = "pulumi-kubernetes"
#: the tests cap every wait (an annotation may ask for 45 minutes)
MAX_WAIT_S: Final = 120.0


class Refused(Exception):
    """The apiserver (or a webhook) refused: its message, as pulumi-kubernetes reports it."""


def api_version_of(type_: str) -> str:
    """``kubernetes:core/v1:Secret`` -> ``v1``; ``kubernetes:cluster.x-k8s.io/v1beta2:Cluster`` -> as is."""
    gv = type_.split(":")[1]
    return gv.removeprefix("core/")


class Forward:
    def __init__(self, kubeconfig: str) -> None:
        from tests.capi_apiserver import ApiServer

        doc = yaml.safe_load(kubeconfig)
        cluster = doc["clusters"][0]["cluster"]
        user = doc["users"][0]["user"]
        ca = Path(tempfile.mkdtemp(prefix="kube-forward-")) / "ca.crt"
        ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
        self.api = ApiServer(cluster["server"], user["token"], ca)
        #: the engine calls a plugin from several gRPC threads; the client holds one connection
        self._lock = threading.Lock()

    def _request(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        with self._lock:
            return self.api.request(method, path, body, content_type=content_type)

    @staticmethod
    def wanted(kubeconfig: str | None) -> bool:
        url = os.environ.get(FORWARD_ENV)
        if not url or not kubeconfig or not url.startswith("https://127.0.0.1:"):
            return False
        try:
            server = yaml.safe_load(kubeconfig)["clusters"][0]["cluster"]["server"]
        except (ValueError, KeyError, IndexError, TypeError, yaml.YAMLError):
            return False
        return bool(server == url)

    def _path(self, obj: Mapping[str, Any], name: str | None = None) -> str:
        with self._lock:  # discovery requests
                base = self.api.path_for(obj, namespace=str((obj.get("metadata") or {}).get("namespace") or "default"))
        return f"{base}/{name}" if name else base

    def apply(self, type_: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        obj = {k: v for k, v in inputs.items() if not k.startswith("__")}
        obj.setdefault("apiVersion", api_version_of(type_))
        obj.setdefault("kind", type_.rsplit(":", 1)[-1])
        meta = obj["metadata"]
        path = self._path(obj, meta["name"]) + f"?fieldManager={FIELD_MANAGER}&force=true&fieldValidation=Strict"
        got = self._request("PATCH", path, obj, content_type="application/apply-patch+yaml")
        if not got.ok:
            raise Refused(f"{obj['kind']} {meta['name']}: {got.message}")
        live = got.body
        wait = (meta.get("annotations") or {}).get(WAIT_FOR)
        if wait and wait.startswith("condition="):
            live = self._wait_condition(obj, wait.split("=", 1)[1], float((meta.get("annotations") or {}).get(TIMEOUT, 600)))
        return self.id_of(live), live

    def _wait_condition(self, obj: Mapping[str, Any], condition: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + min(timeout, MAX_WAIT_S)
        path = self._path(obj, obj["metadata"]["name"])
        while True:
            live = self._request("GET", path).body
            conds = {c.get("type"): c.get("status") for c in (live.get("status") or {}).get("conditions") or []}
            if conds.get(condition) == "True":
                return live
            if time.monotonic() > deadline:
                raise Refused(f"timed out waiting for {obj['kind']} {obj['metadata']['name']} to have condition "
                              f"{condition}")
            time.sleep(0.5)

    @staticmethod
    def id_of(live: Mapping[str, Any]) -> str:
        meta = live.get("metadata") or {}
        return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else str(meta.get("name"))

    def _by_id(self, type_: str, id_: str) -> str:
        ns, _, name = id_.rpartition("/")
        stub = {"apiVersion": api_version_of(type_), "kind": type_.rsplit(":", 1)[-1], "metadata": {"namespace": ns}}
        return self._path(stub, name)

    def read(self, type_: str, id_: str) -> dict[str, Any] | None:
        got = self._request("GET", self._by_id(type_, id_))
        if got.status == 404:
            return None
        if not got.ok:
            raise Refused(got.message)
        return got.body

    def delete(self, type_: str, id_: str) -> None:
        path = self._by_id(type_, id_)
        got = self._request("DELETE", path)
        if got.status == 404:
            return
        if not got.ok:
            raise Refused(got.message)
        deadline = time.monotonic() + MAX_WAIT_S
        while self._request("GET", path).status != 404:
            if time.monotonic() > deadline:
                raise Refused(f"timed out waiting for {id_} to be deleted (finalizers remain)")
            time.sleep(0.5)


def outputs_of(live: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(live))
