"""Issue 25: README's install claim is true. The size it states is checked against what the installed
distributions of kubefleet's runtime dependency closure occupy on disk (their RECORD files, located and
measured, byte-compiled files included): a dependency that grows the install past the claim fails here."""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import os
import re

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT


def _closure_bytes() -> tuple[int, int]:
    seen: dict[str, int] = {}

    def walk(name: str) -> None:
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            return
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            seen[key] = 0
            return
        total = 0
        for file in dist.files or []:
            with contextlib.suppress(OSError):  # a file RECORD lists that is not there adds nothing
                total += os.stat(file.locate()).st_size
        seen[key] = total
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                walk(req.name)

    walk("kubefleet")
    return len(seen), sum(seen.values())


def test_readme_states_the_install_size_it_takes() -> None:
    try:
        md.distribution("kubefleet")
    except md.PackageNotFoundError:
        pytest.skip("kubefleet is not installed in this environment (pip install -e .)")
    stated = re.search(r"takes ~([\d.]+) GB on disk", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert stated, "README must state the install size"
    count, size = _closure_bytes()
    assert count > 30  # the closure was really walked (pulumi, its SDKs, their dependencies)
    gigabytes = size / 1e9
    assert abs(gigabytes - float(stated.group(1))) <= 0.15 * float(stated.group(1)), \
        f"README says ~{stated.group(1)} GB; the runtime closure takes {gigabytes:.2f} GB ({count} distributions)"


def test_the_pr_workflow_caches_pip_keyed_on_the_dependency_set() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "kubefleet-pr.yml").read_text(encoding="utf-8"))
    [job] = workflow["jobs"].values()
    steps = job["steps"]
    [cache] = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/cache@")]
    [install] = [i for i, s in enumerate(steps) if s.get("name") == "Install kubefleet"]
    assert cache < install  # restored before pip runs
    key = steps[cache]["with"]["key"]
    assert "${{ env.KUBEFLEET_PIP }}" in key and "hashFiles('pyproject.toml')" in key
    assert steps[cache]["with"]["path"] == "~/.cache/pip"
