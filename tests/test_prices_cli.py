"""`kubefleet prices show` and `kubefleet prices refresh` through the real Typer app (CliRunner)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.cost.sources import transport
from kubefleet.cost.sources.cache import cached_file
from tests.test_pricing_sources import PREVIOUS_AKS, FakeTransport, azure_routes, write_previous

runner = CliRunner()


def test_prices_is_registered() -> None:
    res = runner.invoke(app, ["prices", "--help"])
    assert res.exit_code == 0
    assert "refresh" in res.stdout and "show" in res.stdout


def test_show_table_lists_every_provider_from_the_shipped_catalog() -> None:
    res = runner.invoke(app, ["prices", "show", "--as-of", "2026-11-27"])
    assert res.exit_code == 0, res.stderr
    for provider in ("gke", "eks", "aks"):
        assert f"{provider}: shipped catalog (kubefleet/catalog/data/{provider}.yaml)" in res.stdout
    assert "https://cloud.google.com/kubernetes-engine/pricing" in res.stdout
    assert "eastus" in res.stdout and "control_plane.standard" in res.stdout
    # staleness is measured from the data date: the shipped GKE mirror was generated 2025-03-06
    # (Cyclenerd pricing.yml "generated: Thu Mar  6 03:53:56 2025"), 631 days before 2026-11-27
    assert "gke prices are 631 days old (oldest dated source published/generated 2025-03-06" in res.stdout
    assert "published 2025-03-06" in res.stdout


def test_show_json_for_one_provider_and_region() -> None:
    res = runner.invoke(app, ["prices", "show", "-p", "aks", "-r", "eastus", "-o", "json", "--as-of", "2026-12-01"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["as_of"] == "2026-12-01"
    (aks,) = data["providers"]
    assert aks["provider"] == "aks" and aks["origin"] == "shipped"
    assert [r["region"] for r in aks["regions"]] == ["eastus"]
    assert aks["regions"][0]["instances"] > 0
    assert all(s["url"].startswith("https://") and "age_days" in s for s in aks["sources"])


def test_show_warns_on_data_older_than_90_days() -> None:
    write_previous("aks", PREVIOUS_AKS)  # sources read 2026-06-01
    res = runner.invoke(app, ["prices", "show", "--provider", "aks", "--as-of", "2026-11-27"])
    assert res.exit_code == 0
    assert "aks: user cache (" in res.stdout
    assert "179 days old" in res.stdout
    assert "warning: aks prices are 179 days old" in res.stdout
    assert "kubefleet prices refresh --provider aks" in res.stdout
    as_json = runner.invoke(app, ["prices", "show", "-p", "aks", "-o", "json", "--as-of", "2026-11-27"])
    assert "179 days old" in json.loads(as_json.stdout)["providers"][0]["warnings"][0]
    assert "warning: aks prices are 179 days old" in as_json.stderr


def test_show_bad_date_and_bad_provider_are_usage_errors() -> None:
    res = runner.invoke(app, ["prices", "show", "--as-of", "tomorrow"])
    assert res.exit_code == 2 and "not a date" in res.stderr
    res = runner.invoke(app, ["prices", "show", "--provider", "ibm"])
    assert res.exit_code == 2 and "'ibm'" in res.stderr


def test_refresh_gke_without_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBEFLEET_GCP_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    res = runner.invoke(app, ["prices", "refresh", "--provider", "gke"])
    assert res.exit_code == 2
    assert "KUBEFLEET_GCP_API_KEY" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_refresh_kubeadm_is_a_usage_error() -> None:
    res = runner.invoke(app, ["prices", "refresh", "--provider", "kubeadm"])
    assert res.exit_code == 2 and "kubeadm" in res.stderr


def test_refresh_aks_writes_the_cache_and_prints_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    write_previous("aks", PREVIOUS_AKS)
    monkeypatch.setattr(transport, "urllib_fetch", FakeTransport(azure_routes()))
    res = runner.invoke(app, ["prices", "refresh", "--provider", "aks"])
    assert res.exit_code == 0, res.stderr
    assert f"aks: wrote {cached_file('aks')}: instances per region: eastus (4)" in res.stdout
    assert "aks: fees from the API: control_plane.premium, control_plane.standard" in res.stdout
    assert "aks: VMs in eastus: page 2 (6 items)" in res.stderr
    shown = runner.invoke(app, ["prices", "show", "-p", "aks", "-o", "json"])
    (aks,) = json.loads(shown.stdout)["providers"]
    assert aks["origin"] == "cache"
    assert {s["key"] for s in aks["sources"]} >= {"azure-retail-prices-vm", "azure-retail-prices-aks"}


def test_refresh_network_failure_exits_2_and_keeps_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_previous("aks", PREVIOUS_AKS)
    monkeypatch.setattr(transport, "urllib_fetch", FakeTransport({}))
    res = runner.invoke(app, ["prices", "refresh", "-p", "aks"])
    assert res.exit_code == 2
    assert "could not reach prices.azure.com" in res.stderr
    assert "is still used" in res.stderr
    assert path.read_text() == PREVIOUS_AKS


def test_refresh_all_skips_gke_without_a_key_and_reports_other_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBEFLEET_GCP_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    write_previous("aks", PREVIOUS_AKS)
    monkeypatch.setattr(transport, "urllib_fetch", FakeTransport(azure_routes()))
    res = runner.invoke(app, ["prices", "refresh"])
    assert "gke: skipped:" in res.stderr and "KUBEFLEET_GCP_API_KEY" in res.stderr
    assert "aks: wrote" in res.stdout
    # eks has no recorded answers here: it fails alone, and the command says so with exit 2
    assert res.exit_code == 2
    assert "could not reach pricing.us-east-1.amazonaws.com" in res.stderr
    assert not cached_file("eks").exists()
