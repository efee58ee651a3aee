"""Self-managed Istio (providers/mesh.py installs it; kubefleet/resolve/versions.py chooses it): the chart
version comes from dated compatibility data (kubefleet/catalog/data/compat-istio.yaml), each row pinned here to the istio.io text it cites.

The expected values below are transcribed from istio/istio.io at the cited commits (release announcements:
"Istio 1.N.0 is officially supported on Kubernetes versions A to B"; end-of-life notices: "support for 1.N will
end on ..."), not from kubefleet's code.
"""

from __future__ import annotations

from datetime import date

import pytest

from kubefleet.lifecycle.compat import load_compat
from kubefleet.render.offline import render
from kubefleet.resolve import versions
from kubefleet.spec.loader import load_text
from tests.conftest import MINIMAL, shape_resolver


def _range(lo: int, hi: int) -> tuple[str, ...]:
    return tuple(f"1.{n}" for n in range(lo, hi + 1))


# (minor, supported Kubernetes minors, released, end of life or None, commit of the cited text)
ISTIO_IO = [
    ("1.27", _range(29, 33), date(2025, 8, 8), date(2026, 3, 30), "3077597679d11d6e2d88651a4d93db70fc9480df"),
    ("1.28", _range(29, 34), date(2025, 11, 5), date(2026, 6, 28), "9a2608b50ae9906bc4da912ff35aa9034581dcd8"),
    ("1.29", _range(31, 35), date(2026, 2, 12), date(2026, 10, 12), "ae221abcb56b7064b01e0337be73c697e653868a"),
    ("1.30", _range(32, 36), date(2026, 5, 18), None, "2d14a5b9bd0b082aaa96ca8e4763adc186fe7139"),
    ("1.31", _range(32, 36), date(2026, 8, 31), None, "b65812cb3cc7969b7b84be381d8b109b8aff544f"),
]


@pytest.mark.parametrize(("minor", "k8s", "released", "eol", "commit"), ISTIO_IO, ids=[r[0] for r in ISTIO_IO])
def test_istio_rows_match_istio_io(minor: str, k8s: tuple[str, ...], released: date, eol: date | None,
                                   commit: str) -> None:
    rows = [r for r in load_compat().table("istio").mesh if r.revision.startswith(minor + ".")]
    assert len(rows) == 1, minor
    row = rows[0]
    assert row.minors == k8s
    assert (row.start, row.end) == (released, eol)
    assert commit in row.source.url and row.source.url.startswith("https://github.com/istio/istio.io/blob/")
    assert row.source.read is not None


def test_every_istio_source_is_pinned_to_a_commit() -> None:
    for source in load_compat().table("istio").sources.values():
        assert "/blob/" in source.url and len(source.url.split("/blob/")[1].split("/")[0]) == 40, source.url


@pytest.mark.parametrize(("minor", "on", "version", "supported"), [
    # 1.27.x (the old frozen pin) is end of life after 2026-03-30 and never supported 1.34/1.35
    ("1.33", date(2026, 1, 15), "1.28.10", True),   # 1.29 was released on 2026-02-12, after this date
    ("1.35", date(2026, 11, 29), "1.31.1", True),
    ("1.34", date(2026, 6, 1), "1.30.5", True),     # 1.31 not released yet on that date
    ("1.31", date(2026, 11, 29), "1.29.8", False),  # only 1.27-1.29 list 1.31; all end of life by then
    ("1.37", date(2026, 11, 29), "1.31.1", False),  # no release lists 1.37
])
def test_newest_release_supporting_the_minor_on_the_date(minor: str, on: date, version: str, supported: bool) -> None:
    chosen = versions.istio_release(minor, on)
    assert (chosen.version, chosen.supported) == (version, supported), chosen.reason
    assert chosen.source and chosen.source in chosen.reason


def test_the_old_pin_is_end_of_life_and_unsupported_on_new_minors() -> None:
    row = next(r for r in load_compat().table("istio").mesh if r.revision.startswith("1.27."))
    assert "1.34" not in row.minors and "1.35" not in row.minors
    assert row.end is not None and not row.offered_on(date(2026, 4, 1))


def test_the_resolved_cluster_carries_the_release_for_its_as_of_date() -> None:
    from kubefleet.render.offline import render_resolved
    from kubefleet.resolve.cluster import resolve

    spec = load_text(MINIMAL.replace("spec:\n", "spec:\n  addons: {istio: {mode: self-managed}}\n"), "t.yaml")[0].spec
    default = resolve(spec, "eks", resolver=shape_resolver("eks"))
    assert default.istio == versions.istio_release("1.33", versions.data_as_of())
    june = resolve(spec, "eks", resolver=shape_resolver("eks"), as_of=date(2026, 6, 1))
    assert june.istio.version == "1.30.5"  # 1.31 was released on 2026-08-31 (istio.io, pinned above)
    for cluster in (default, june):
        graph = render_resolved(cluster)
        assert {r.get("version") for r in graph.of_type("kubernetes:helm.sh/v3:Release")} == {cluster.istio.version}
        helm = next(n for n in graph.parity if n.field == "spec.addons.istio.mode")
        assert cluster.istio.version in helm.detail  # the parity note names the release installed
    assert render(spec, "eks", resolver=shape_resolver("eks")).of_type("kubernetes:helm.sh/v3:Release")[0].get(
        "version") == default.istio.version


def test_kubeadm_still_installs_istio_through_the_shared_module() -> None:
    text = MINIMAL.replace("spec:\n", "spec:\n  addons: {istio: {mode: self-managed}}\n").replace(
        'version: "1.33"', 'version: "1.35"')
    graph = render(load_text(text, "t.yaml")[0].spec, "kubeadm", resolver=shape_resolver("kubeadm"))
    releases = graph.of_type("kubernetes:helm.sh/v3:Release")
    assert {r.get("chart") for r in releases} == {"base", "istiod"}
    assert {r.get("version") for r in releases} == {versions.istio_release("1.35", versions.data_as_of()).version}


def test_render_cache_key_follows_the_dated_choices() -> None:
    """The dated data reaches the render only through the resolved cluster, so the cache key (which holds
    the resolved value, not the data files) changes exactly when a dated choice or the date does."""
    from dataclasses import replace

    from kubefleet.render import cache as render_cache
    from kubefleet.resolve.cluster import resolve

    spec = load_text(MINIMAL.replace("spec:\n", "spec:\n  addons: {istio: {mode: self-managed}}\n"), "t.yaml")[0].spec
    base = resolve(spec, "eks", resolver=shape_resolver("eks"))
    assert render_cache.cache_key(base) == render_cache.cache_key(resolve(spec, "eks", resolver=shape_resolver("eks")))
    newer = replace(base, istio=replace(base.istio, version="9.9.9"))
    assert render_cache.cache_key(newer) != render_cache.cache_key(base)
    june = resolve(spec, "eks", resolver=shape_resolver("eks"), as_of=date(2026, 6, 1))
    assert render_cache.cache_key(june) != render_cache.cache_key(base)


def test_validate_rejects_a_minor_no_supported_istio_release_covers() -> None:
    from kubefleet.lifecycle.check import problems

    text = MINIMAL.replace("spec:\n", "spec:\n  addons: {istio: {mode: self-managed}}\n")
    # Kubernetes 1.31 is listed only by Istio 1.27-1.29 (istio.io announcements); all are end of life after
    # 2026-10-12 (1.29's end-of-life notice), while 1.33 is covered by 1.30 and 1.31.
    old = load_text(text.replace('version: "1.33"', 'version: "1.31"').replace(
        "  kubernetes:", "  kubernetes:"), "t.yaml")[0]
    found = problems(old, "kubeadm", date(2026, 11, 29))
    assert [i.message for i in found if "Istio" in i.message], found
    assert not [i for i in problems(old, "kubeadm", date(2026, 9, 1)) if "Istio" in i.message]
    ok = load_text(text, "t.yaml")[0]
    assert not [i for i in problems(ok, "eks", date(2026, 11, 29)) if "Istio" in i.message]
    managed = load_text(text.replace("self-managed", "managed").replace('version: "1.33"', 'version: "1.31"'),
                        "t.yaml")[0]
    assert [i for i in problems(managed, "eks", date(2026, 11, 29)) if "Istio" in i.message]  # EKS: Helm too


def test_a_spec_pool_named_like_the_aks_system_pool_is_refused_not_overwritten() -> None:
    """The resolve step keys instance choices by pool name; the AKS system pool's key must not silently
    replace a spec pool's choice (its cloud name is hashed from that key, so it cannot be renamed)."""
    from kubefleet.errors import RenderError
    from kubefleet.resolve.cluster import resolve
    from kubefleet.resolve.pools import SYSTEM_POOL_KEY

    text = MINIMAL.replace("- name: general", f"- name: {SYSTEM_POOL_KEY}")
    assert SYSTEM_POOL_KEY in text
    spec = load_text(text, "t.yaml")[0].spec
    with pytest.raises(RenderError, match="reserved on aks"):
        resolve(spec, "aks", resolver=shape_resolver("aks"))
    assert resolve(spec, "eks", resolver=shape_resolver("eks")).instances[SYSTEM_POOL_KEY].name
