"""The finance HTML is one self-contained file that really renders in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path

import pytest

from kubefleet.catalog import load_catalog
from kubefleet.compare import compare
from kubefleet.report.compare_out import to_html
from kubefleet.spec.loader import load_file
from tests.conftest import EXAMPLES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def page() -> str:
    spec = load_file(EXAMPLES / "istio-microservices.yaml")[0].spec
    cmp = compare(spec, ["gke", "eks", "aks", "kubeadm"], as_of=date(2026, 11, 27), catalog=load_catalog())
    return to_html([cmp])


def test_html_is_self_contained_with_chart_tables_and_sources() -> None:
    html = page()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r'src="https?://', html), "no resource may load from the network"
    assert html.count('class="seg"') >= 4  # stacked bar segments
    assert 'data-category="mesh"' in html  # the mesh overhead is its own segment
    assert "2026-11-27" in html and "Sources" in html and "https://" in html


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium not installed")
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    assert CHROMIUM, "CI must install chromium (.ci/run does)"
    src = tmp_path / "compare.html"
    src.write_text(page())
    png = tmp_path / "compare.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1400", f"--screenshot={png}",
         src.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 1400)
    assert len(data) > 40_000, "a blank page compresses to a few KB; the chart and tables make it larger"
    if os.environ.get("KUBEFLEET_KEEP_SCREENSHOT"):
        shutil.copy(png, os.environ["KUBEFLEET_KEEP_SCREENSHOT"])
