"""Every support date kubefleet ships for Kubernetes minors 1.28-1.37 against endoflife.date (MIT; product files
at a pinned commit in tests/data/oracles/endoflife, see PROVENANCE), or against an allow-list entry that carries
its own source (a row the oracle lacks, or where the provider's own page is the better source).

Fields compared: features.yaml ``versions:`` (standard_end = EKS/AKS/GKE/Kubernetes ``eol``; EKS extended_end =
``eoes``); compat-eks/aks/gke channel rows (``until`` = ``eol`` on standard channels, ``eoes`` on EKS extended and
AKS LTS); compat-istio releases (``from`` = ``releaseDate``, ``until`` = ``eol``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubefleet.catalog import load_catalog
from kubefleet.lifecycle.compat import load_compat

ORACLE = Path(__file__).resolve().parent / "data" / "oracles" / "endoflife"
PRODUCTS = {"eks": "amazon-eks", "aks": "azure-kubernetes-service", "gke": "google-kubernetes-engine",
            "kubeadm": "kubernetes", "istio": "istio"}
MINORS = {f"1.{m}" for m in range(28, 38)}

GKE_SCHEDULE = "https://cloud.google.com/kubernetes-engine/docs/release-schedule"
AKS_CAL = ("MicrosoftDocs/azure-aks-docs@fb060abe6a8fef960d4c487b543bf7b1e97808fe:"
           "articles/aks/supported-kubernetes-versions.md:44-74")
ISTIO = "istio.io announcements pinned in compat-istio.yaml (primary source; endoflife.date predates or projects them)"
EKS_DOC = "Amazon EKS release dates from AWS's own calendar (compat-eks.yaml source eks-versions)"

#: (file, provider, channel/field, minor, field) -> (our value, why ours stands, source). Each entry is a row the
#: oracle lacks or disagrees with, and which source we follow instead.
ALLOW: dict[tuple[str, str, str, str, str], tuple[Any, str, str]] = {
    # GKE extended-channel end dates are not in endoflife.date; our data leaves them unknown (never flagged)
    **{("compat", "gke", "extended", m, "until"): (None, "end of extended support not transcribed", GKE_SCHEDULE)
       for m in ("1.31", "1.32", "1.33", "1.34", "1.35", "1.36")},
    ("compat", "gke", "rapid", "1.37", "until"): (None, "1.37 not in the oracle yet", GKE_SCHEDULE),
    ("compat", "aks", "rapid", "1.37", "until"): (date(2027, 10, 31), "1.37 not in the oracle yet", AKS_CAL),
    ("compat", "aks", "extended", "1.37", "until"): (date(2028, 10, 31), "1.37 not in the oracle yet", AKS_CAL),
    ("compat", "eks", "stable", "1.32", "from"): (date(2025, 1, 23), "oracle 2025-01-25", EKS_DOC),
    ("compat", "eks", "stable", "1.33", "from"): (date(2025, 5, 29), "oracle 2025-05-28", EKS_DOC),
    ("compat", "eks", "stable", "1.34", "from"): (date(2025, 10, 2), "oracle 2025-10-06", EKS_DOC),
    ("compat", "istio", "1.27", "-", "from"): (date(2025, 8, 8), "oracle 2025-08-11", ISTIO),
    ("compat", "istio", "1.29", "-", "from"): (date(2026, 2, 12), "oracle 2026-02-16", ISTIO),
    ("compat", "istio", "1.27", "-", "until"): (date(2026, 3, 30), "oracle 2026-04-07; istio.io's EOL notice", ISTIO),
    ("compat", "istio", "1.28", "-", "until"): (date(2026, 6, 28), "oracle 2026-07-01; istio.io's EOL notice", ISTIO),
    ("compat", "istio", "1.29", "-", "until"): (date(2026, 10, 12), "oracle 2026-08-31 (a projection made before "
                                               "1.31 shipped on 2026-08-31; +6 weeks is 2026-10-12)", ISTIO),
    ("compat", "istio", "1.30", "-", "until"): (None, "oracle 2026-11-30 is a projection; no EOL announced when read",
                                               ISTIO),
    ("compat", "istio", "1.31", "-", "from"): (date(2026, 8, 31), "1.31 not in the oracle", ISTIO),
    ("compat", "istio", "1.31", "-", "until"): (None, "1.31 not in the oracle", ISTIO),
}


def _oracle(product: str) -> dict[str, dict[str, Any]]:
    text = (ORACLE / f"{product}.md").read_text(encoding="utf-8")
    front = text.split("---", 2)[1]
    return {str(r["releaseCycle"]): r for r in yaml.safe_load(front)["releases"]}


def _rows() -> list[tuple[tuple[str, str, str, str, str], Any, Any]]:
    """(key, ours, oracle's) for every shipped row in 1.28-1.37 (Istio: every release row)."""
    out: list[tuple[tuple[str, str, str, str, str], Any, Any]] = []
    catalog = load_catalog()
    for provider in ("eks", "gke", "aks", "kubeadm"):
        oracle = _oracle(PRODUCTS[provider])
        for minor, row in catalog.versions(provider).items():
            if minor not in MINORS:
                continue
            o = oracle.get(minor, {})
            out.append((("features", provider, "versions", minor, "standard_end"), row.standard_end, o.get("eol")))
            if provider == "eks":
                out.append((("features", provider, "versions", minor, "extended_end"), row.extended_end, o.get("eoes")))
    compat = load_compat()
    for provider in ("eks", "gke", "aks"):
        oracle = _oracle(PRODUCTS[provider])
        for name, channel in compat.table(provider).channels.items():
            aliases = {"eks": ("rapid", "regular", "none"), "aks": ("regular", "none", "stable"), "gke": ("none",)}
            if name in aliases[provider]:
                continue  # YAML aliases of the standard channel: the same rows (EKS: stable; AKS: rapid)
            field = "eoes" if name == "extended" and provider in ("eks", "aks") else "eol"
            for r in channel.minors:
                if r.minor not in MINORS:
                    continue
                o = oracle.get(r.minor, {})
                if name == "extended" and provider == "gke":
                    out.append((("compat", provider, name, r.minor, "until"), r.end, None))
                    continue
                out.append((("compat", provider, name, r.minor, "until"), r.end, o.get(field)))
                if provider == "eks" and name == "stable":
                    out.append((("compat", provider, name, r.minor, "from"), r.start, o.get("releaseDate")))
    istio = _oracle("istio")
    for m in compat.table("istio").mesh:
        cycle = ".".join(m.revision.split(".")[:2])
        o = istio.get(cycle, {})
        out.append((("compat", "istio", cycle, "-", "from"), m.start, o.get("releaseDate")))
        out.append((("compat", "istio", cycle, "-", "until"), m.end, o.get("eol")))
    return out


def test_every_shipped_support_row_matches_endoflife_or_an_allow_listed_source() -> None:
    rows = _rows()
    assert len(rows) > 80  # the comparison really covers the data
    wrong = []
    for key, ours, theirs in rows:
        if key in ALLOW:
            value, why, source = ALLOW[key]
            assert source and why
            if ours != value:
                wrong.append(f"{key}: ours {ours}, allow-list says {value} ({why}; {source})")
            continue
        if ours != theirs:
            wrong.append(f"{key}: ours {ours}, endoflife.date {theirs}")
    assert not wrong, "\n".join(wrong)


def test_allow_list_has_no_stale_entries() -> None:
    keys = {k for k, _, _ in _rows()}
    assert not set(ALLOW) - keys


@pytest.mark.parametrize("product", sorted(PRODUCTS.values()))
def test_oracle_files_are_the_pinned_copies(product: str) -> None:
    assert "a70eca337600e7d721dc48112c271f98661d208b" in (ORACLE / "PROVENANCE").read_text()
    assert _oracle(product)
