"""The architecture, checked by a tool we did not write: import-linter's contracts in ``.importlinter``.

The clean tree must keep every contract, and each contract must fail when broken on purpose: a probe
module with one forbidden import is added to a copy of the package (the card's folders dereferenced, as
the wheel has them) and ``lint-imports`` must name the broken contract. A contract that cannot fail would
prove nothing. Also the one rule import-linter cannot see: no adapter reads the clock.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"


def _lint_imports() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[test]' brings import-linter")
    return found


def _run(tree: Path, contract: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1"}
    only = ["--contract", contract] if contract else []
    return subprocess.run([_lint_imports(), "--config", str(CONFIG), "--no-cache", *only], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("arch")
    shutil.copytree(ROOT / "kubefleet", tree / "kubefleet", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return tree


def test_the_tree_keeps_every_contract() -> None:
    result = _run(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert result.stdout.count(" KEPT") == 7, result.stdout


# (where the probe goes, its one import, the id of the contract that must break)
BREAKS = [
    ("providers/gke/_probe.py", "from kubefleet.catalog import load_catalog", "adapters-translate"),
    ("providers/aks/_probe.py", "from kubefleet.resolve.versions import istio_release", "adapters-translate"),
    ("providers/_probe.py", "from kubefleet.lifecycle.compat import load_compat", "adapters-translate"),
    ("render/_probe.py", "from kubefleet.cost.pricer import price_graph", "pipeline"),
    ("spec/_probe.py", "from kubefleet.resolve.model import ResolvedCluster", "pipeline"),
    ("resolve/_probe.py", "from kubefleet.render.offline import render", "pipeline"),
    ("cost/_probe.py", "import pulumi_aws", "aws-sdk"),
    ("providers/gke/_probe.py", "import pulumi_azure_native", "azure-sdk"),
    ("changes/_probe.py", "from google.cloud import container_v1", "gcp-sdk"),
    ("providers/eks/_probe.py", "import pulumi_vsphere", "vsphere-sdk"),
    ("report/_probe.py", "import rich", "terminal-in-cli"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("where", "line", "contract"), BREAKS, ids=[f"{w}:{c}" for w, _, c in BREAKS])
def test_a_contract_broken_on_purpose_fails(package_copy: Path, where: str, line: str, contract: str) -> None:
    probe = package_copy / "kubefleet" / where
    probe.write_text(f'"""A deliberate violation."""\n\n{line}  # noqa\n')
    try:
        whole = _run(package_copy)
        alone = _run(package_copy, contract)
    finally:
        probe.unlink()
    assert whole.returncode == 1, whole.stdout + whole.stderr  # what CI runs fails
    assert alone.returncode == 1, alone.stdout + alone.stderr  # and it is this contract that broke
    assert "1 broken" in alone.stdout and "_probe" in alone.stdout, alone.stdout


# Wall-clock reads (a deadline measured with time.monotonic is a duration, not a date, and may stay).
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
               ("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime")}


def test_no_adapter_reads_the_clock() -> None:
    """The resolve step decides the clock (``ResolvedCluster.now``); an adapter reading it would make the
    same resolved cluster render differently, which the render cache and every plan rely on not happening."""
    found = []
    for path in sorted((ROOT / "providers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
                if (name, node.func.attr) in CLOCK_CALLS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}.{node.func.attr}()")
    assert not found, "\n".join(found)


def test_every_top_level_module_is_placed_in_the_layers_and_the_readme() -> None:
    """A layers contract constrains only the modules it lists: a new package left out of it would be free
    to import anything, and a newcomer would not find it in README's map. Both must name every top-level
    module and package of ``kubefleet``."""
    import configparser

    config = configparser.ConfigParser()
    config.read(CONFIG)
    listed = {name.strip() for line in config["importlinter:contract:pipeline"]["layers"].splitlines()
              for name in line.split("|") if name.strip()}
    package = ROOT / "kubefleet"
    present = {f"kubefleet.{p.stem}" for p in package.iterdir()
               if (p.suffix == ".py" and p.name != "__init__.py") or (p.is_dir() and (p / "__init__.py").exists())}
    assert present == listed, f"missing from the layers: {sorted(present - listed)}; gone: {sorted(listed - present)}"
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## How the code is laid out"):readme.index("## Benchmarks")]
    for module in sorted(present - {"kubefleet.templates"}):  # templates: the starter specs `init` writes
        leaf = module.split(".")[1]
        card = leaf in ("cli", "providers", "policies", "stacks")
        named = f"`{leaf}/`" if card else (f"`kubefleet/{leaf}/`" if (package / leaf).is_dir() else f"`{leaf}.py`")
        assert named in section or f"`kubefleet/{leaf}.py`" in section, f"README's layout does not name {module}"
