"""One spec through ``compare``, call by call: each stage is entered once, in pipeline order, and nothing
downstream of the resolve step looks anything up.

The import contracts (tests/test_architecture.py) say what *may* be imported; this follows what runs. A
profiler records every call that crosses from one kubefleet module into another while ``compare`` prices
one spec on one provider with the render cache off, and the test reads the stages off that record.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from kubefleet.catalog import load_catalog
from kubefleet.compare import compare
from kubefleet.spec.loader import load_file

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 12, 1)
STAGES = ("lifecycle", "resolve", "render", "cost")
#: what the resolve step alone may call at run time (the adapters and the render read its answers)
LOOKUPS = ("kubefleet.catalog", "kubefleet.lifecycle", "kubefleet.cost", "kubefleet.resolve.cluster",
           "kubefleet.resolve.instances", "kubefleet.resolve.matching", "kubefleet.resolve.versions")


_MODULES: dict[str, str | None] = {}


def _module(frame: FrameType | None) -> str | None:
    """kubefleet's dotted module name of a frame's code, or None outside kubefleet."""
    if frame is None:
        return None
    name = frame.f_code.co_filename
    if name not in _MODULES:
        _MODULES[name] = _module_of(name)
    return _MODULES[name]


def _module_of(filename: str) -> str | None:
    try:
        rel = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    parts = list(rel.with_suffix("").parts)
    if parts[0] in ("cli", "providers", "policies", "stacks"):
        parts = ["kubefleet", *parts]
    if parts[0] != "kubefleet":
        return None
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


PROVIDERS = ["gke", "eks", "aks", "kubeadm"]


@pytest.fixture(scope="module")
def calls() -> list[tuple[str, str, str]]:
    """(caller module, callee module, callee function) for every call that crosses kubefleet modules while
    ``compare`` prices one spec on every provider, one after the other."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBEFLEET_NO_CACHE", "1")
        return _trace()


def _trace() -> list[tuple[str, str, str]]:
    spec = load_file(str(ROOT / "examples" / "sweet-spot.yaml"))[0].spec
    catalog = load_catalog()
    compare(spec, PROVIDERS, as_of=AS_OF, catalog=catalog)  # imports and first-use caches out of the way
    seen: list[tuple[str, str, str]] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or frame.f_code.co_name == "<module>":
            return
        callee = _module(frame)
        if callee is None:
            return
        caller_frame = frame.f_back
        caller = _module(caller_frame)
        while caller is None and caller_frame is not None:  # through the SDK's and the stdlib's frames
            caller_frame = caller_frame.f_back
            caller = _module(caller_frame)
        if caller is not None and caller != callee:
            seen.append((caller, callee, frame.f_code.co_name))

    sys.setprofile(profile)
    try:
        compare(spec, PROVIDERS, as_of=AS_OF, catalog=catalog)
    finally:
        sys.setprofile(None)
    return seen


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def _collapse(items: Iterator[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return out


def test_compare_enters_each_stage_once_in_pipeline_order(calls: list[tuple[str, str, str]]) -> None:
    from_compare = _collapse(s for caller, callee, _ in calls
                             if caller == "kubefleet.compare" and (s := _stage(callee)) is not None)
    assert from_compare == list(STAGES) * len(PROVIDERS), from_compare  # per provider, one after the other


def test_nothing_after_resolve_looks_anything_up(calls: list[tuple[str, str, str]]) -> None:
    rendering = [(caller, callee, fn) for caller, callee, fn in calls
                 if caller.startswith(("kubefleet.render", "kubefleet.providers"))]
    assert rendering, "the render was not traced"
    lookups = [c for c in rendering if c[1].startswith(LOOKUPS)]
    assert not lookups, lookups
    # the render reads the resolved value (ResolvedCluster.instance), it does not resolve again
    assert ("kubefleet.render.offline", "kubefleet.resolve.cluster", "resolve") not in calls
