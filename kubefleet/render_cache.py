"""A disk cache of offline renders, keyed by everything that decides the rendered graph.

Importing the cloud SDKs dominates a cold render (0.5–0.8 s each); the graph itself is a pure function
of the spec, the provider, the instance choices (from the catalog), kubefleet's own code and the SDK
versions. The key hashes exactly those, so a hit is the graph the program *would* declare — nothing is
priced that the program does not declare. ``KUBEFLEET_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kubefleet.providers.base import InstanceChoice, ParityNote
from kubefleet.render import RenderedResource, ResourceGraph
from kubefleet.spec import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog

FORMAT: Final = 1
SDKS: Final = ("pulumi", "pulumi-gcp", "pulumi-aws", "pulumi-azure-native", "pulumi-kubernetes",
               "pulumi-vsphere", "pulumi-random")


def kubefleet_home() -> Path:
    return Path(os.environ.get("KUBEFLEET_HOME") or Path.home() / ".kubefleet")


def cache_dir() -> Path:
    return kubefleet_home() / "cache" / "render"


@cache
def code_fingerprint() -> str:
    """Hash of kubefleet's own source (program, renderer, adapters and their templates) and SDK versions."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(f"format={FORMAT}".encode())
    files: list[Path] = []
    for sub in ("providers",):
        base = root / sub
        files.extend(p for p in base.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".sh", ".j2", ".tmpl", ".json"))
    files.extend(root / name for name in ("program.py", "render.py", "spec.py", "naming.py", "regions.py", "matching.py"))
    for path in sorted(set(files)):
        if path.exists() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    for dist in SDKS:
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=missing".encode())
    return h.hexdigest()


def cache_key(spec: ClusterSpec, provider: str, instances: dict[str, InstanceChoice]) -> str:
    payload = json.dumps(
        {"spec": spec.model_dump(mode="json", by_alias=True), "provider": provider,
         "instances": {k: asdict(v) for k, v in sorted(instances.items())}, "code": code_fingerprint()},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _dump(graph: ResourceGraph) -> dict[str, Any]:
    return {
        "cluster": graph.cluster,
        "provider": graph.provider,
        "region": graph.region,
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs,
             "custom": r.custom, "protect": r.protect, "secret_paths": list(r.secret_paths)}
            for r in graph.resources
        ],
        "outputs": graph.outputs,
        "parity": [n.as_dict() for n in graph.parity],
        "instances": {k: asdict(v) for k, v in graph.instances.items()},
    }


def _load(data: dict[str, Any], spec: ClusterSpec) -> ResourceGraph:
    return ResourceGraph(
        cluster=data["cluster"],
        provider=data["provider"],
        region=data["region"],
        resources=[
            RenderedResource(urn=r["urn"], type=r["type"], name=r["name"], parent=r["parent"], inputs=r["inputs"],
                             custom=r["custom"], protect=r["protect"], secret_paths=tuple(r["secret_paths"]))
            for r in data["resources"]
        ],
        outputs=data["outputs"],
        parity=[ParityNote(n["field"], n["status"], n["detail"]) for n in data["parity"]],
        instances={k: InstanceChoice(**v) for k, v in data["instances"].items()},
        spec=spec,
    )


def cached_render(spec: ClusterSpec, provider: str, *, catalog: Catalog) -> ResourceGraph:
    """``render()`` with a disk cache in front of it (same result, without importing the SDKs on a hit)."""
    from kubefleet.program import instance_resolver
    from kubefleet.render import render

    resolver = instance_resolver(spec, provider, catalog)
    if os.environ.get("KUBEFLEET_NO_CACHE") == "1":
        return render(spec, provider, catalog=catalog, resolver=resolver)
    instances = {pool.name: resolver(pool) for pool in spec.spec.node_pools}
    key = cache_key(spec, provider, instances)
    path = cache_dir() / key[:2] / f"{key}.json"
    try:
        return _load(json.loads(path.read_text()), spec)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # a miss, or an unreadable entry: render again and rewrite it
    graph = render(spec, provider, catalog=catalog, resolver=resolver)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(_dump(graph), fh, sort_keys=True, default=str)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home must not break the command; it only costs speed
    return graph
