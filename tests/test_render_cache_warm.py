"""The parallel warm-up of the render cache: same graphs as the sequential path, errors left to it."""

from __future__ import annotations

import json
import sys

import pytest

from kubefleet.catalog import load_catalog
from kubefleet.render import cache as render_cache
from kubefleet.render.cache import cached_render, warm
from kubefleet.render.offline import render
from kubefleet.resolve.cluster import resolve
from tests.conftest import example_specs

CAT = load_catalog()
SPEC = next(s.spec for s in example_specs() if s.spec.name == "sweet-spot")
PROVIDERS = ("gke", "eks", "aks", "kubeadm")

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the warm-up forks workers on Linux only")


def _entries() -> list[str]:
    return sorted(p.name for p in render_cache.cache_dir().rglob("*.json"))


@linux_only
def test_warm_fills_the_cache_with_exactly_the_graphs_a_fresh_render_declares() -> None:
    assert warm([(SPEC, p) for p in PROVIDERS], catalog=CAT, workers=2) == 4
    assert len(_entries()) == 4
    for p in ("eks", "kubeadm"):  # read back from what the workers wrote
        cached = cached_render(resolve(SPEC, p, catalog=CAT))
        fresh = render(SPEC, p, catalog=CAT)
        assert json.dumps(cached.as_json(), sort_keys=True) == json.dumps(fresh.as_json(), sort_keys=True)
    # everything is a hit now: nothing left to warm
    assert warm([(SPEC, p) for p in PROVIDERS], catalog=CAT, workers=2) == 0


@linux_only
def test_warm_skips_when_there_is_nothing_to_gain(monkeypatch: pytest.MonkeyPatch) -> None:
    assert warm([(SPEC, "eks")], catalog=CAT, workers=2) == 0  # one miss: render it in-process
    assert warm([(SPEC, "eks"), (SPEC, "gke")], catalog=CAT, workers=1) == 0  # one worker
    monkeypatch.setenv("KUBEFLEET_NO_CACHE", "1")
    assert warm([(SPEC, "eks"), (SPEC, "gke")], catalog=CAT, workers=2) == 0
    assert _entries() == []


@linux_only
def test_a_pair_that_fails_in_a_worker_is_left_to_the_in_process_render(monkeypatch: pytest.MonkeyPatch) -> None:
    import kubefleet.render.offline as render_mod

    real = render_mod.render_resolved

    def broken_for_aks(cluster):  # type: ignore[no-untyped-def]
        if cluster.provider == "aks":
            raise RuntimeError("simulated failure inside a worker")
        return real(cluster)

    monkeypatch.setattr(render_mod, "render_resolved", broken_for_aks)  # inherited by the forked workers
    assert warm([(SPEC, p) for p in ("eks", "aks", "kubeadm")], catalog=CAT, workers=2) == 2
    assert len(_entries()) == 2
    monkeypatch.setattr(render_mod, "render_resolved", real)
    assert cached_render(resolve(SPEC, "aks", catalog=CAT)).provider == "aks"  # the sequential path still renders it


@linux_only
def test_a_stuck_worker_is_stopped_and_the_caller_renders_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import kubefleet.render.offline as render_mod

    def stuck(cluster):  # type: ignore[no-untyped-def]
        time.sleep(60)

    monkeypatch.setattr(render_mod, "render_resolved", stuck)
    monkeypatch.setattr(render_cache, "WARM_TIMEOUT_S", 1.0)
    started = time.monotonic()
    assert warm([(SPEC, "eks"), (SPEC, "kubeadm")], catalog=CAT, workers=2) == 0
    assert time.monotonic() - started < 20
    assert _entries() == []
