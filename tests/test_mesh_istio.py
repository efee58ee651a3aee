"""Self-managed Istio (providers/mesh.py): the chart version comes from dated compatibility data
(kubefleet/catalog/data/compat-istio.yaml), each row pinned here to the istio.io text it cites.

The expected values below are transcribed from istio/istio.io at the cited commits (release announcements:
"Istio 1.N.0 is officially supported on Kubernetes versions A to B"; end-of-life notices: "support for 1.N will
end on ..."), not from kubefleet's code.
"""

from __future__ import annotations

from datetime import date

import pytest

from kubefleet.catalog.compat import load_compat
from kubefleet.loader import load_text
from kubefleet.providers import mesh
from kubefleet.render import render
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
    chosen = mesh.istio_release(minor, on)
    assert (chosen.version, chosen.supported) == (version, supported), chosen.reason
    assert chosen.source and chosen.source in chosen.reason


def test_the_old_pin_is_end_of_life_and_unsupported_on_new_minors() -> None:
    row = next(r for r in load_compat().table("istio").mesh if r.revision.startswith("1.27."))
    assert "1.34" not in row.minors and "1.35" not in row.minors
    assert row.end is not None and not row.offered_on(date(2026, 4, 1))


def test_render_uses_the_as_of_date_from_the_context() -> None:
    from kubefleet.program import build_context

    spec = load_text(MINIMAL.replace("spec:\n", "spec:\n  addons: {istio: {mode: self-managed}}\n"), "t.yaml")[0].spec
    ctx = build_context(spec, "eks", resolver=shape_resolver("eks"))
    assert mesh.as_of(ctx) == mesh.data_as_of()
    ctx.extra[mesh.AS_OF_KEY] = date(2026, 6, 1)
    assert mesh.release_for(spec, ctx).version == "1.30.5"
    graph = render(spec, "eks", resolver=shape_resolver("eks"))
    versions = {r.get("version") for r in graph.of_type("kubernetes:helm.sh/v3:Release")}
    assert versions == {mesh.istio_release("1.33", mesh.data_as_of()).version}


def test_kubeadm_still_installs_istio_through_the_shared_module() -> None:
    text = MINIMAL.replace("spec:\n", "spec:\n  addons: {istio: {mode: self-managed}}\n").replace(
        'version: "1.33"', 'version: "1.35"')
    graph = render(load_text(text, "t.yaml")[0].spec, "kubeadm", resolver=shape_resolver("kubeadm"))
    releases = graph.of_type("kubernetes:helm.sh/v3:Release")
    assert {r.get("chart") for r in releases} == {"base", "istiod"}
    assert {r.get("version") for r in releases} == {mesh.istio_release("1.35", mesh.data_as_of()).version}


def test_render_cache_key_changes_with_the_compat_data(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kubefleet import render_cache

    files = [p.name for p in (render_cache.Path(render_cache.__file__).parent / "catalog" / "data").glob("compat-*.yaml")]
    assert "compat-istio.yaml" in files
    render_cache.code_fingerprint.cache_clear()
    before = render_cache.code_fingerprint()
    real = render_cache.Path.read_bytes

    def altered(self):  # type: ignore[no-untyped-def]
        data = real(self)
        return data + b"\n# changed" if self.name == "compat-istio.yaml" else data

    monkeypatch.setattr(render_cache.Path, "read_bytes", altered)
    render_cache.code_fingerprint.cache_clear()
    try:
        assert render_cache.code_fingerprint() != before
    finally:
        monkeypatch.undo()
        render_cache.code_fingerprint.cache_clear()


def test_validate_rejects_a_minor_no_supported_istio_release_covers() -> None:
    from kubefleet.compat import problems

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
