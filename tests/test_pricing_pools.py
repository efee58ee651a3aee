"""A purchase-option mix per pool in the spec (`nodePools[].pricing`, issue 24 part 3): each spec pool is
priced at its own option, winning over `--pricing`; a pool the provider adds (AKS's system pool) follows
`--pricing`; every output format carries the same lines and totals, reconciled to the cent.

Oracles: the committed-use rates are the catalog's cited mirror figures (commitments.yaml, checked against
Google's published CUD percentages in test_pricing_options.py); the on-demand bound of an unpriced commitment
is the catalog's list price × node-hours; the spec errors point at the YAML line and column.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.catalog.commitments import commitments
from kubefleet.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
CENT = Decimal("0.01")
POOL_PRICING = {"general": "3y", "batch": "1y"}


def _mixed_text(*, extra: str = "", batch_pricing: str = "1y") -> str:
    text = (ROOT / "examples" / "sweet-spot.yaml").read_text()
    old = "      disk: {sizeGiB: 100, type: balanced}\n"
    assert old in text
    return text.replace(old, old + "      pricing: 3y\n    - name: batch\n      machine: {vcpus: 2, memoryGiB: 8}\n"
                        f"      count: 2\n      pricing: {batch_pricing}\n{extra}", 1)


def _mixed_spec(tmp: Path, *, extra: str = "", batch_pricing: str = "1y") -> Path:
    path = tmp / "mixed.yaml"
    path.write_text(_mixed_text(extra=extra, batch_pricing=batch_pricing))
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("pool-pricing")
    spec = _mixed_spec(tmp)
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.getbasetemp() / "sweet-spot-render-home"  # shared with test_currency/test_pricing_options
    home.mkdir(exist_ok=True)
    mp.setenv("KUBEFLEET_HOME", str(home))
    try:
        out = {}
        for fmt in ("json", "csv", "markdown", "html", "table"):
            args = ["compare", str(spec), "--providers", "gke,eks", "--pricing", "spot", "--as-of", "2026-11-27"]
            result = CliRunner().invoke(app, [*args, *([] if fmt == "table" else ["--output", fmt])])
            assert result.exit_code == 0, result.output
            out[fmt] = result.stdout
        return out
    finally:
        mp.undo()


def _usd(amount: str | Decimal) -> str:
    return f"${Decimal(amount):,.2f}"


def test_each_spec_pool_is_priced_at_its_own_option_over_the_flag(outputs: dict[str, str]) -> None:
    (doc,) = json.loads(outputs["json"])["items"]  # a ComparisonList (kubefleet.report.contract)
    assert doc["assumptions"]["pricing"] == "spot" and doc["assumptions"]["pricing_by_pool"] == POOL_PRICING
    providers = doc["providers"]
    book = commitments()["gke"]
    gke = providers["gke"]
    for pool, term in POOL_PRICING.items():
        line = next(c for c in gke["components"] if c["unit"] == "node-hour" and f"-{pool} (" in c["name"])
        machine, option = line["name"].split("(")[1].rstrip(")").split(", ")
        assert option == {"1y": "1-year commitment", "3y": "3-year commitment"}[term]
        rate = book.rate(gke["region"], machine, term)  # type: ignore[arg-type]
        assert rate is not None and Decimal(line["unit_price"]) == rate.hourly
        assert "bound" not in line and f"`pricing: {term}`" in line["note"]  # not on spot: the pool's own option wins
        assert Decimal(line["monthly"]) == (Decimal(line["quantity"]) * rate.hourly).quantize(CENT, ROUND_HALF_UP)
    # EKS has no Savings Plan/RI rate in the catalog: each spec pool is unpriced, bounded by its on-demand
    # charge, and the reason names the spec (not --pricing)
    catalog = load_catalog()
    eks = providers["eks"]
    assert not any(c["unit"] == "node-hour" for c in eks["components"])
    for pool, term in POOL_PRICING.items():
        gap = next(u for u in eks["unpriced"] if u["resource"].endswith(f"-{pool}"))
        assert f"the spec's `pricing: {term}`" in gap["reason"] and "`pricing: on-demand`" in gap["how_to_price"]
        inst = catalog.instance("eks", eks["region"], eks["instances"][pool]["type"])
        assert inst is not None
        nodes = {"general": 7, "batch": 2}[pool]
        assert Decimal(gap["bounds"]["high"]) == (nodes * 730 * inst.price.amount).quantize(CENT, ROUND_HALF_UP)


def test_a_pool_the_provider_adds_follows_the_flag() -> None:
    """AKS's system pool is no spec pool: it is priced at --pricing; a spec pool without `pricing` too."""
    from types import SimpleNamespace

    from kubefleet.cost.pricer import _pool_purchase
    from kubefleet.spec.loader import load_text

    spec = load_text(_mixed_text(), "mixed.yaml")[0].spec
    ctx = SimpleNamespace(spec=spec, assumptions=SimpleNamespace(pricing="spot"))
    assert _pool_purchase(ctx, None) == ("spot", False)  # type: ignore[arg-type]
    assert _pool_purchase(ctx, "general") == ("3y", True)  # type: ignore[arg-type]
    assert _pool_purchase(ctx, "batch") == ("1y", True)  # type: ignore[arg-type]


def test_every_format_reconciles_to_the_cent(outputs: dict[str, str]) -> None:
    providers = json.loads(outputs["json"])["items"][0]["providers"]
    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    lines: dict[str, Decimal] = defaultdict(Decimal)
    totals = {}
    for row in rows:
        if row["row_kind"] == "component":
            lines[row["provider"]] += Decimal(row["monthly_usd"])
        elif row["row_kind"] == "total":
            totals[row["provider"]] = Decimal(row["total_monthly_usd"])
            assert "the spec's own pool pricing: general at 3-year commitment, batch at 1-year commitment" in row["item"]
    assert set(totals) == set(providers) == {"gke", "eks"}
    for p, b in providers.items():
        total = Decimal(b["monthly_total"])
        assert sum(Decimal(c["monthly"]) for c in b["components"]) == total == lines[p] == totals[p], p
        assert sum(Decimal(v) for v in b["by_category"].values()) == total
        for fmt in ("markdown", "html", "table"):
            assert _usd(total) in outputs[fmt], (fmt, p)
    csv_names = {r["item"] for r in rows if r["row_kind"] == "component"}
    for b in providers.values():
        assert {c["name"] for c in b["components"]} <= csv_names
    for fmt in ("markdown", "html"):
        assert "the spec's own pool pricing: general at 3-year commitment" in html.unescape(outputs[fmt])
    assert "n2-standard-2, 1-year commitment" in outputs["html"]  # the per-line detail; markdown shows categories


@pytest.mark.parametrize(("extra", "batch", "where", "message"), [
    ("      spot: true\n", "1y", ":24:7:", "runs on spot capacity (`spot: true`) but asks for `pricing: 1y`"),
    ("", "5y", ":24:16:", "'5y' is not allowed"),
])
def test_a_bad_pool_pricing_is_exit_2_at_its_line_and_column(tmp_path: Path, extra: str, batch: str, where: str,
                                                              message: str) -> None:
    spec = _mixed_spec(tmp_path, extra=extra, batch_pricing=batch)
    result = CliRunner().invoke(app, ["cost", str(spec), "-p", "gke"])
    assert result.exit_code == 2
    assert f"{spec}{where} spec.nodePools[1].pricing" in result.output and message in result.output
    assert "Traceback" not in result.output
