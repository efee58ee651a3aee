"""A disk cache of offline renders, keyed by everything that decides the rendered graph.

Importing the cloud SDKs dominates a cold render (0.5–0.8 s each); the graph itself is a pure function
of the resolved cluster (:class:`~kubefleet.resolve.model.ResolvedCluster`: the spec, the provider, the
instance choices, the dated version choices, the clock), kubefleet's own code and the SDK versions. The
key hashes exactly those, so a hit is the graph the program *would* declare — nothing is priced that the
program does not declare — and an ``--as-of`` render is cached like any other: its date reaches every
dated choice through the resolved value. ``KUBEFLEET_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from datetime import date
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kubefleet.errors import KubefleetError
from kubefleet.graph import ParityNote, RenderedResource, ResourceGraph
from kubefleet.resolve.model import InstanceChoice, ResolvedCluster
from kubefleet.safeio import FileProblem, kubefleet_home, read_regular
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog

FORMAT: Final = 5  # 2: resources carry ignore_changes; 3: keyed on the resolved cluster; 4: entries carry a digest;
# 5: resources carry replace_on_changes and delete_before_replace
SDKS: Final = ("pulumi", "pulumi-gcp", "pulumi-aws", "pulumi-azure-native", "pulumi-kubernetes",
               "pulumi-vsphere", "pulumi-random")


# A cache entry larger than this is not one we wrote (a 10,000-node graph is ~20 MB): a miss.
MAX_ENTRY_BYTES: Final = 256 * 1024 * 1024


_log = logging.getLogger(__name__)


def cache_dir() -> Path:
    return kubefleet_home() / "cache" / "render"


@cache
def code_fingerprint() -> str:
    """Hash of the code between a resolved cluster and its graph (the program, the renderer, the adapters
    and their templates, the spec and resource models) and of the SDK versions. The catalog and the dated
    compatibility data are not hashed: what they decide reaches the render only through the resolved
    cluster, which the key holds (import-linter keeps the adapters away from them)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(f"format={FORMAT}".encode())
    files: list[Path] = []
    for sub in ("providers", "render", "spec", "resolve"):
        base = root / sub
        files.extend(p for p in base.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".sh", ".j2", ".tmpl", ".json"))
    files.extend(root / name for name in ("graph.py", "naming.py", "errors.py"))
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


def cache_key(cluster: ResolvedCluster) -> str:
    payload = json.dumps({"cluster": cluster.cache_identity(), "code": code_fingerprint()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _dump(graph: ResourceGraph) -> dict[str, Any]:
    return {
        "cluster": graph.cluster,
        "provider": graph.provider,
        "region": graph.region,
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs,
             "custom": r.custom, "protect": r.protect, "secret_paths": list(r.secret_paths),
             "ignore_changes": list(r.ignore_changes), "replace_on_changes": list(r.replace_on_changes),
             "delete_before_replace": r.delete_before_replace}
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
                                                ("ignore_changes", list), ("replace_on_changes", list),
                                                ("delete_before_replace", bool))
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
                             ignore_changes=tuple(str(p) for p in r["ignore_changes"]),
                             replace_on_changes=tuple(str(p) for p in r["replace_on_changes"]),
                             delete_before_replace=r["delete_before_replace"])
            for r in data["resources"]
        ],
        outputs=data["outputs"],
        parity=[ParityNote(n["field"], n["status"], n["detail"]) for n in data["parity"]],
        instances={k: InstanceChoice(**v) for k, v in data["instances"].items()},
        spec=spec,
    )


def _enabled() -> bool:
    return os.environ.get("KUBEFLEET_NO_CACHE") != "1"


def _entry(cluster: ResolvedCluster) -> Path:
    """Where the graph of a resolved cluster is (or would be) stored."""
    key = cache_key(cluster)
    return cache_dir() / key[:2] / f"{key}.json"


_HEADER: Final = b"kubefleet-render-cache/%d sha256=" % FORMAT


def _digest(key: str, body: bytes) -> str:
    """The digest of an entry: its body bound to its key, so an entry edited in place, cut short, or copied
    from another cluster's key does not verify."""
    return hashlib.sha256(key.encode() + b"\n" + body).hexdigest()


def seal(key: str, graph: ResourceGraph) -> bytes:
    """The bytes of a cache entry: a header line with the digest, then the JSON body."""
    body = json.dumps(_dump(graph), sort_keys=True, default=str).encode()
    return _HEADER + _digest(key, body).encode() + b"\n" + body


def unseal(key: str, raw: bytes) -> Any:
    """The JSON body of a cache entry whose digest verifies; ValueError otherwise."""
    header, newline, body = raw.partition(b"\n")
    if not newline or not header.startswith(_HEADER):
        raise ValueError("cache entry: no digest header (an entry kubefleet did not write, or an older format)")
    if not hmac.compare_digest(header[len(_HEADER):], _digest(key, body).encode()):
        raise ValueError("cache entry: the digest does not match its content (edited, truncated or moved)")
    return json.loads(body)


def cached_render(cluster: ResolvedCluster) -> ResourceGraph:
    """``render_resolved()`` with a disk cache in front of it (same result, without importing the SDKs on a
    hit). An entry is used only if its digest verifies; anything else is said at debug level
    (KUBEFLEET_DEBUG=1) and rendered again."""
    from kubefleet.render.offline import render_resolved

    if not _enabled():
        return render_resolved(cluster)
    key = cache_key(cluster)
    path = cache_dir() / key[:2] / f"{key}.json"
    try:
        return _load(unseal(key, read_regular(path, MAX_ENTRY_BYTES)), cluster.spec)
    except FileProblem as problem:
        if problem.message != "no such file":
            _log.debug("render cache entry %s not read (%s); rendering again", path, problem.message)
    except (ValueError, KeyError, TypeError, RecursionError, MemoryError) as err:
        # a tampered or corrupt entry (very deep JSON too): ignored, rendered again and rewritten
        _log.debug("render cache entry %s ignored: %s; rendering again", path, str(err)[:200])
    graph = render_resolved(cluster)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(seal(key, graph))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home must not break the command; it only costs speed
    return graph


# ----------------------------------------------------------------------------- parallel warm-up

# Rough relative cost of a cold render (SDK import + program run, measured on 2 cores): the heaviest go
# first so that two workers finish together.
_WEIGHT: Final = {"gke": 4, "aks": 3, "eks": 2, "kubeadm": 1}
# No result from any worker for this long means they are stuck, not slow (a cold render takes about 2 s,
# a 10,000-node one a few minutes): the workers are stopped and the caller renders in-process. The limit
# is per result, not for the whole job, so 2,000 specs never run into it.
WARM_TIMEOUT_S: Final = 600.0
_PENDING: list[ResolvedCluster] = []

#: (pairs rendered so far, pairs to render, worker processes): called before the first and after each.
WarmProgress = Callable[[int, int, int], None]
#: one line for stderr when the workers could not do their job (the caller renders in-process anyway)
WarmNotice = Callable[[str], None]


def _fresh_worker() -> None:
    """Start each forked worker on its own event loop: a loop inherited from a parent that has rendered
    before holds a default executor whose threads did not survive the fork, and would wait forever."""
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())


def _render_pending(index: int) -> bool:
    """Worker side of :func:`warm`: render one pending pair into the cache (errors surface later, in order)."""
    try:
        cached_render(_PENDING[index])
    except Exception:  # the caller renders this pair again in-process and reports it properly
        return False
    return True


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def misses(pairs: Sequence[tuple[ClusterSpec, str]], *, catalog: Catalog, as_of: date | None = None
           ) -> list[ResolvedCluster]:
    """The (spec, provider) pairs whose graph is not in the cache, resolved for ``as_of`` (each once, in
    order)."""
    from kubefleet.resolve.cluster import resolve

    out: list[ResolvedCluster] = []
    seen: set[Path] = set()
    for spec, provider in pairs:
        try:
            cluster = resolve(spec, provider, catalog=catalog, as_of=as_of)
            entry = _entry(cluster)
        except KubefleetError:  # e.g. no instance fits: the in-process render reports it
            continue
        if entry not in seen and not entry.exists():
            seen.add(entry)
            out.append(cluster)
    return out


def warm(pairs: Sequence[tuple[ClusterSpec, str]], *, catalog: Catalog, as_of: date | None = None,
         workers: int | None = None,
         progress: WarmProgress | None = None, notice: WarmNotice | None = None) -> int:
    """Fill the cache for the (spec, provider) pairs that miss it, in parallel worker processes.

    A cold ``compare`` or ``policy check`` spends its time running one program per pair, each
    single-threaded; rendering the misses in forked workers uses every core. The caller then reads the
    cache as usual, so results, their order and error reporting are exactly those of the sequential path
    (a pair that failed in a worker is simply rendered again in-process, where its error is raised and
    reported as usual). A worker process that dies (killed, out of memory, a crash in C code) or a job
    that stalls is said through ``notice`` (never silently): the pairs it did not render are rendered
    in-process. Returns how many pairs were rendered; 0 when there is nothing to gain: caching off,
    fewer than two misses, one CPU, no ``fork`` (macOS/Windows start workers from scratch, which costs
    more than it saves) or an unwritable cache directory.
    """
    if not _enabled() or sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    todo = misses(pairs, catalog=catalog, as_of=as_of)
    count = min(workers or _cpus(), len(todo))
    if count < 2:
        return 0
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
    except OSError:
        return 0
    if not os.access(cache_dir(), os.W_OK):
        return 0
    todo.sort(key=lambda c: -_WEIGHT.get(c.provider, 2))  # stable: same-weight pairs keep their order
    tick = progress or (lambda done, total, workers: None)
    say = notice or (lambda line: None)
    total = len(todo)
    tick(0, total, count)
    done = finished = _prime(todo, count)
    if finished:
        tick(finished, total, count)
    _PENDING[:] = todo
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"), initializer=_fresh_worker)
    try:
        pending = {pool.submit(_render_pending, i) for i in range(len(todo))}
        while pending:
            ready, pending = wait(pending, timeout=WARM_TIMEOUT_S, return_when=FIRST_COMPLETED)
            if not ready:
                raise FuturesTimeout
            for future in ready:
                done += bool(future.result())
                finished += 1
            tick(finished, total, count)
    except BrokenProcessPool as err:
        say(f"a render worker process died ({err}); rendering the remaining {total - finished} "
            "cluster(s) in this process")
    except FuturesTimeout:
        say(f"render workers gave no result for {WARM_TIMEOUT_S:.0f} s; rendering the remaining "
            f"{total - finished} cluster(s) in this process")
    finally:
        _stop(pool)
        _PENDING.clear()
    return done


def _prime(todo: list[ResolvedCluster], workers: int) -> int:
    """Render here, before forking, the first pending pair of each provider with many pending pairs, and
    take it off ``todo``: the workers then inherit that provider's SDK already imported (about 1 s of CPU
    each, paid once instead of once per worker, and the pages are shared). A pair that fails is left in
    ``todo`` (its error is reported in order by the caller). Returns how many pairs were rendered."""
    rendered = 0
    for provider in dict.fromkeys(c.provider for c in todo):
        pairs = [i for i, c in enumerate(todo) if c.provider == provider]
        if len(pairs) < 2 * workers:
            continue
        try:
            cached_render(todo[pairs[0]])
        except Exception:  # rendered again in order by the caller, which reports it
            continue
        del todo[pairs[0]]
        rendered += 1
    return rendered


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now, also a stuck one (``shutdown`` alone would wait for it)."""
    workers = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in workers:
        if proc.is_alive():
            proc.terminate()
    for proc in workers:
        proc.join(timeout=10)
