"""The cluster template CAPV ships, read and substituted the way ``clusterctl generate cluster`` does.

``templates/capv-v1.16.1-cluster-template.yaml`` is kubernetes-sigs/cluster-api-provider-vsphere's
``templates/cluster-template.yaml`` at tag v1.16.1 (commit 5b57d1db50a72f8d7ac605f9860f18d517215b4d),
unchanged. kubefleet takes from it what CAPV's maintainers ship and test for a kubeadm cluster on vSphere:
the kube-vip static pod and its kubeadm 1.29+ workaround, the node-name and /etc/hosts commands, and the
vSphere CPI and CSI manifests with their credential secrets (delivered by a ClusterResourceSet). A test
(tests/test_capi_render.py) compares this copy byte for byte with the pinned upstream file.

Variables are clusterctl's envsubst forms ``${NAME}`` and ``${NAME:=default}``
(kubernetes-sigs/cluster-api@v1.13.6:cmd/clusterctl/client/yamlprocessor/simple_processor.go uses
drone/envsubst); an unset variable without a default is an error, as in clusterctl.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML

TEMPLATE: Final = Path(__file__).resolve().parent / "templates" / "capv-v1.16.1-cluster-template.yaml"
CAPV_VERSION: Final = "v1.16.1"
CAPV_COMMIT: Final = "5b57d1db50a72f8d7ac605f9860f18d517215b4d"
_VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::=([^}]*))?\}")


class MissingVariable(KeyError):
    pass


def substitute(text: str, values: Mapping[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in values:
            return values[name]
        if default is not None:
            return default
        raise MissingVariable(name)

    return _VAR.sub(one, text)


@cache
def _raw() -> str:
    return TEMPLATE.read_text()


def variables() -> set[str]:
    return {m.group(1) for m in _VAR.finditer(_raw())}


def documents(values: Mapping[str, str]) -> list[dict[str, Any]]:
    """The template's objects with ``values`` substituted (every variable must be given or defaulted)."""
    loader = YAML(typ="safe", pure=True)
    return [d for d in loader.load_all(substitute(_raw(), values)) if d]


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    for doc in docs:
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name):
            return doc
    raise LookupError(f"CAPV {CAPV_VERSION} template has no {kind} {name or ''}".strip())
