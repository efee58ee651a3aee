"""A disk cache of offline renders, keyed by everything that decides the rendered graph.

Importing the cloud SDKs dominates a cold render (0.5–0.8 s each); the graph itself is a pure function
of the spec, the provider, the instance choices (from the catalog), kubefleet's own code and the SDK
versions. The key hashes exactly those, so a hit is the graph the program *would* declare — nothing is
priced that the program does not declare. ``KUBEFLEET_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kubefleet.errors import KubefleetError
from kubefleet.providers.base import InstanceChoice, ParityNote
from kubefleet.render import RenderedResource, ResourceGraph
from kubefleet.safeio import FileProblem, read_regular
from kubefleet.spec import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.providers.base import InstanceResolver

FORMAT: Final = 2  # 2: resources carry ignore_changes
SDKS: Final = ("pulumi", "pulumi-gcp", "pulumi-aws", "pulumi-azure-native", "pulumi-kubernetes",
               "pulumi-vsphere", "pulumi-random")


# A cache entry larger than this is not one we wrote (a 10,000-node graph is ~20 MB): a miss.
MAX_ENTRY_BYTES: Final = 256 * 1024 * 1024


def kubefleet_home() -> Path:
    """``$KUBEFLEET_HOME`` (``~`` expanded) or ``~/.kubefleet``: one definition, in engine.backend."""
    from kubefleet.engine.backend import kubefleet_home as home

    return home()


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
    # Dated compatibility data decides rendered inputs too (e.g. the Istio chart version, providers/mesh.py).
    files.extend((root / "catalog" / "data").glob("compat-*.yaml"))
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
             "custom": r.custom, "protect": r.protect, "secret_paths": list(r.secret_paths),
             "ignore_changes": list(r.ignore_changes)}
            for r in graph.resources
        ],
        "outputs": graph.outputs,
        "parity": [n.as_dict() for n in graph.parity],
        "instances": {k: asdict(v) for k, v in graph.instances.items()},
    }


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"cache entry: {what} is {type(value).__name__}")
    return value


def _load(data: Any, spec: ClusterSpec) -> ResourceGraph:
    """A graph from a cache entry; ValueError for anything that is not exactly what :func:`_dump` writes
    (a corrupt or hand-edited entry, ``inputs: null``, ...) so the caller renders again."""
    _expect(data, dict, "the entry")
    top: tuple[tuple[str, type], ...] = (("cluster", str), ("provider", str), ("region", str), ("resources", list),
                                         ("outputs", dict), ("parity", list), ("instances", dict))
    for key, kind in top:
        _expect(data.get(key), kind, key)
    for r in data["resources"]:
        _expect(r, dict, "a resource")
        fields: tuple[tuple[str, type], ...] = (("urn", str), ("type", str), ("name", str), ("inputs", dict),
                                                ("custom", bool), ("protect", bool), ("secret_paths", list),
                                                ("ignore_changes", list))
        for key, kind in fields:
            _expect(r.get(key), kind, f"resource {key}")
        _expect(r.get("parent"), (str, type(None)), "resource parent")
    for n in data["parity"]:
        _expect(n, dict, "a parity note")
    for v in data["instances"].values():
        _expect(v, dict, "an instance choice")
    return ResourceGraph(
        cluster=data["cluster"],
        provider=data["provider"],
        region=data["region"],
        resources=[
            RenderedResource(urn=r["urn"], type=r["type"], name=r["name"], parent=r["parent"], inputs=r["inputs"],
                             custom=r["custom"], protect=r["protect"], secret_paths=tuple(r["secret_paths"]),
                             ignore_changes=tuple(str(p) for p in r["ignore_changes"]))
            for r in data["resources"]
        ],
        outputs=data["outputs"],
        parity=[ParityNote(n["field"], n["status"], n["detail"]) for n in data["parity"]],
        instances={k: InstanceChoice(**v) for k, v in data["instances"].items()},
        spec=spec,
    )


def _enabled() -> bool:
    return os.environ.get("KUBEFLEET_NO_CACHE") != "1"


def _entry(spec: ClusterSpec, provider: str, resolver: InstanceResolver) -> Path:
    """Where the graph of ``spec`` on ``provider`` with these instance choices is (or would be) stored."""
    instances = {pool.name: resolver(pool) for pool in spec.spec.node_pools}
    key = cache_key(spec, provider, instances)
    return cache_dir() / key[:2] / f"{key}.json"


def cached_render(spec: ClusterSpec, provider: str, *, catalog: Catalog, as_of: date | None = None) -> ResourceGraph:
    """``render()`` with a disk cache in front of it (same result, without importing the SDKs on a hit).
    A render for an explicit ``as_of`` (``plan --as-of``) is not cached."""
    from kubefleet.program import instance_resolver
    from kubefleet.render import render

    resolver = instance_resolver(spec, provider, catalog)
    if not _enabled() or as_of is not None:
        return render(spec, provider, catalog=catalog, resolver=resolver, as_of=as_of)
    path = _entry(spec, provider, resolver)
    try:
        return _load(json.loads(read_regular(path, MAX_ENTRY_BYTES)), spec)
    except (FileProblem, ValueError, KeyError, TypeError, RecursionError, MemoryError):
        pass  # a miss, or an unreadable/corrupt entry (very deep JSON too): render again and rewrite it
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


# ----------------------------------------------------------------------------- parallel warm-up

# Rough relative cost of a cold render (SDK import + program run, measured on 2 cores): the heaviest go
# first so that two workers finish together.
_WEIGHT: Final = {"gke": 4, "aks": 3, "eks": 2, "kubeadm": 1}
# A worker that takes longer than this is stuck, not slow (a cold render takes about 2 s): the workers are
# stopped and the caller renders in-process.
WARM_TIMEOUT_S: Final = 300.0
_PENDING: list[tuple[ClusterSpec, str]] = []
_PENDING_CATALOG: list[Catalog] = []


def _fresh_worker() -> None:
    """Start each forked worker on its own event loop: a loop inherited from a parent that has rendered
    before holds a default executor whose threads did not survive the fork, and would wait forever."""
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())


def _render_pending(index: int) -> bool:
    """Worker side of :func:`warm`: render one pending pair into the cache (errors surface later, in order)."""
    spec, provider = _PENDING[index]
    try:
        cached_render(spec, provider, catalog=_PENDING_CATALOG[0])
    except Exception:  # the caller renders this pair again in-process and reports it properly
        return False
    return True


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def warm(pairs: Sequence[tuple[ClusterSpec, str]], *, catalog: Catalog, workers: int | None = None) -> int:
    """Fill the cache for the (spec, provider) pairs that miss it, in parallel worker processes.

    A cold ``compare`` spends its time importing four cloud SDKs and running four programs, each
    single-threaded; rendering the misses in forked workers uses every core. The caller then reads the
    cache as usual, so results and error reporting are exactly those of the sequential path (a pair that
    failed in a worker is simply rendered again in-process). Returns how many pairs were rendered; 0 when
    there is nothing to gain: caching off, fewer than two misses, one CPU, no ``fork`` (macOS/Windows
    start workers from scratch, which costs more than it saves) or an unwritable cache directory.
    """
    if not _enabled() or sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    from kubefleet.program import instance_resolver

    misses: list[tuple[ClusterSpec, str]] = []
    for spec, provider in pairs:
        try:
            if not _entry(spec, provider, instance_resolver(spec, provider, catalog)).exists():
                misses.append((spec, provider))
        except KubefleetError:  # e.g. no instance fits: the in-process render reports it
            continue
    count = min(workers or _cpus(), len(misses))
    if count < 2:
        return 0
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
    except OSError:
        return 0
    if not os.access(cache_dir(), os.W_OK):
        return 0
    misses.sort(key=lambda pair: -_WEIGHT.get(pair[1], 2))
    _PENDING[:] = misses
    _PENDING_CATALOG[:] = [catalog]
    pool = multiprocessing.get_context("fork").Pool(count, initializer=_fresh_worker)
    try:
        done = sum(pool.map_async(_render_pending, range(len(misses)), chunksize=1).get(WARM_TIMEOUT_S))
        pool.close()
    except multiprocessing.TimeoutError:
        done = 0
    finally:
        pool.terminate()
        pool.join()
        _PENDING.clear()
        _PENDING_CATALOG.clear()
    return done
