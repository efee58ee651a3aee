"""Finance formats: one spec priced in several regions side by side (`compare --regions`)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.spec.regions import REGIONS


def test_compare_regions_prices_one_spec_per_region_side_by_side() -> None:
    result = CliRunner().invoke(app, ["compare", "examples/sweet-spot.yaml", "--as-of", "2026-11-27", "--providers",
                                      "gke,eks", "--regions", "us-east,europe-west", "--output", "json"])
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)["items"]
    assert [d["cluster"] for d in docs] == ["sweet-spot @ us-east", "sweet-spot @ europe-west"]
    for doc, neutral in zip(docs, ("us-east", "europe-west"), strict=True):
        for p in ("gke", "eks"):
            assert doc["providers"][p]["region"] == REGIONS[neutral][p]  # the provider's own region name
    assert docs[0]["providers"]["gke"]["monthly_total"] != docs[1]["providers"]["gke"]["monthly_total"]


def test_compare_regions_refuses_unknown_regions_and_pinned_provider_regions(tmp_path: Path) -> None:
    bad = CliRunner().invoke(app, ["compare", "examples/sweet-spot.yaml", "--providers", "gke", "--regions", "mars"])
    assert bad.exit_code == 2 and "unknown region(s) mars" in bad.output
    spec = tmp_path / "pinned.yaml"
    text = (Path(__file__).resolve().parent.parent / "examples" / "sweet-spot.yaml").read_text()
    assert "gke: {project: acme-prod}" in text
    spec.write_text(text.replace("gke: {project: acme-prod}", "gke: {project: acme-prod, region: us-central1}"))
    pinned = CliRunner().invoke(app, ["compare", str(spec), "--providers", "gke", "--regions", "us-east"])
    assert pinned.exit_code == 2 and "pins spec.providers.gke.region" in pinned.output, pinned.output
