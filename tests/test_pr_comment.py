"""The PR comment beside Infracost's (issue 25): a per-cluster table at the top, money per resource in the
details, which ``--fail-on`` condition tripped and why, links to the run and the HTML report, and the
documented ``--fail-on`` example quoted so it pastes into bash.

Oracles: ``diff --output json`` (the change model's own totals, a different renderer), ``cost --output json``
(the priced lines per resource, priced by the cost path), bash itself (``bash -n`` and bash's word splitting
of the documented line), and the layout of infracost/infracost@95ba4f49a7abf5567b04f751a115543281a4ab18
internal/output/templates/markdown-html.tmpl (summary table under the cost sentence, :55-113).
"""

from __future__ import annotations

import json
import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "diff"
AS_OF = "2026-11-27"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _shared_render_home(_isolated_home: None, tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """One kubefleet home (its render cache) for the tests of this module: the same specs are rendered once."""
    home = tmp_path_factory.getbasetemp() / "pr-comment-render-home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("KUBEFLEET_HOME", str(home))


def _diff(case: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["diff", "--base", str(DATA / f"{case}.old.yaml"), str(DATA / f"{case}.new.yaml"),
                                 "--as-of", AS_OF, *extra])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.stdout


def _money(text: str) -> Decimal:
    return Decimal(text.replace("≥", "").replace("$", "").replace(",", "").strip())


def _fmt(value: Decimal, sign: bool = False) -> str:
    text = f"${abs(value):,.2f}"
    return (("-" if value < 0 else "+") if sign else ("-" if value < 0 else "")) + text


def test_the_cluster_table_is_at_the_top_and_agrees_with_the_json() -> None:
    _, md = _diff("multi", "--output", "markdown")
    _, js = _diff("multi", "--output", "json")
    doc = json.loads(js)
    header = "| Cluster | Provider | Before | After | Change | % |"
    assert md.index(header) < md.index("- ⚠️ **legacy**") < md.index("<details>")  # above the list and details
    rows = {(m[1], m[2]): m for m in re.finditer(r"^\| (\S+) \| (\S+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$",
                                                 md[:md.index("<details>")], re.M) if m[1] != "Cluster"}
    assert len(rows) == len(doc["clusters"]) == 3
    for cluster in doc["clusters"]:
        row = rows[(cluster["cluster"], cluster["provider"].upper())]
        before, after = Decimal(cluster["monthly_before"]), Decimal(cluster["monthly_after"])
        assert (_money(row[3]), _money(row[4]), _money(row[5])) == (before, after, Decimal(cluster["monthly_delta"]))
        # Infracost's formatPercentChange (internal/output/diff.go:502-515): whole percent, blank when a side is 0
        want = "—" if not before or not after else \
            f"{((after / before - 1) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP):+}%".replace("+0%", "0%")
        assert row[6].strip() == want, (cluster["cluster"], row[6])


def _resource_cells(md: str) -> dict[str, str]:
    """resource name -> its Monthly cell in the details tables, plus the "not listed above" lines."""
    cells = {m[1]: m[2].strip() for m in re.finditer(r"^\| [^|]+ \| `([^`]+)` \(`[^`]+`\) \| ([^|]+) \|", md, re.M)}
    cells.update({m[1]: m[2] for m in re.finditer(r"^- `([^`]+)` \(`[^`]+`\): (\$[\d,.]+ → \$[\d,.]+)", md, re.M)})
    return cells


def _delta(cell: str) -> Decimal:
    if cell == "—":
        return Decimal(0)
    if "→" in cell:
        before, after = cell.split("(")[0].split("→")
        return _money(after) - _money(before)
    if cell.startswith("-"):
        return -_money(cell[1:])
    if cell.startswith("+"):
        return _money(cell[1:])
    return Decimal(0)  # same cost before and after


@pytest.mark.parametrize("case", ["pool-resize", "multi"])
def test_money_per_resource_adds_up_to_each_cluster_and_matches_cost(case: str) -> None:
    _, md = _diff(case, "--output", "markdown")
    doc = json.loads(_diff(case, "--output", "json")[1])
    sections = md.split("<details>")[1:]
    for cluster in doc["clusters"]:
        (section,) = [s for s in sections if s.startswith(f"\n<summary>{cluster['cluster']} · ")]
        cells = _resource_cells(section)
        assert sum((_delta(c) for c in cells.values()), Decimal(0)) == Decimal(cluster["monthly_delta"]), cells
    if case == "pool-resize":  # the after-side amount is what `cost` prices that node group at
        cost = json.loads(runner.invoke(app, ["cost", str(DATA / "pool-resize.new.yaml"), "-p", "eks", "--as-of",
                                              AS_OF, "-o", "json"]).stdout)
        (item,) = cost["items"]
        lines = item["providers"]["eks"]["components"]
        priced = sum((Decimal(c["monthly"]) for c in lines if c["resource"].endswith("::orders-general")), Decimal(0))
        assert _resource_cells(md)["orders-general"].split("→")[1].split("(")[0].strip() == _fmt(priced)


def test_a_tripped_fail_on_says_which_condition_and_why() -> None:
    code, md = _diff("pool-resize", "--output", "markdown", "--fail-on", "replace,delete,delta>100")
    doc = json.loads(_diff("pool-resize", "--output", "json")[1])
    assert code == 1
    assert "❌ **This check fails: --fail-on `replace,delete,delta>100` tripped** (1 condition):" in md
    before, after = Decimal(doc["monthly_before"]), Decimal(doc["monthly_after"])
    assert (f"> - `delta>100`: monthly cost {_fmt(after - before, sign=True)} ({_fmt(before)} → {_fmt(after)}) "
            "is above the limit of $100.00") in md
    assert "`replace`:" not in md and "`delete`:" not in md  # only what tripped
    assert md.index("This check fails") < md.index("<details>")  # at the top, not in the details
    code, md = _diff("multi", "--output", "markdown", "--fail-on", "delete")
    assert code == 1 and "> - `delete`: 10 resource(s) deleted: legacy on gke: legacy-vpc (gcp:compute/network:Network);" in md
    assert "; and 5 more" in md  # five named, the rest counted (the fifth of the ten: GKE's zone Stash)
    code, md = _diff("pool-resize", "--output", "markdown", "--fail-on", "delta>100000")
    assert code == 0 and "✅ **--fail-on** `delta>100000`: no condition met." in md


def _documented_fail_on_lines() -> list[str]:
    lines = []
    for doc in (ROOT / "README.md", ROOT / "docs" / "pr-workflow.md"):
        for block in re.findall(r"```console\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            lines += [line[2:] for line in block.splitlines() if line.startswith("$ kubefleet ") and "--fail-on" in line]
    return lines


def _bash_argv(line: str, cwd: Path) -> list[str]:
    """The words bash passes to ``kubefleet`` for ``line`` (a function stands in, so nothing else runs)."""
    done = subprocess.run(["bash", "-c", 'kubefleet() { printf "%s\\0" "$@"; }\n' + line], cwd=cwd,
                          capture_output=True, check=True, timeout=30)
    return done.stdout.decode().split("\0")[:-1]


def test_the_documented_fail_on_example_pastes_into_bash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _documented_fail_on_lines()
    assert len(lines) >= 2, "README and docs/pr-workflow.md each show a --fail-on example"
    (tmp_path / "old.yaml").write_text((DATA / "pool-resize.old.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "new.yaml").write_text((DATA / "pool-resize.new.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    monkeypatch.chdir(tmp_path)
    for line in lines:
        assert subprocess.run(["bash", "-n", "-c", line], capture_output=True, timeout=30).returncode == 0, line
        before = sorted(p.name for p in tmp_path.iterdir())
        argv = _bash_argv(line, tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == before, f"bash redirected output of: {line}"
        value = argv[argv.index("--fail-on") + 1]
        assert "delta>500" in value, (line, argv)
        result = runner.invoke(app, [*argv, "--as-of", AS_OF])  # the real CLI, with bash's words
        assert result.exit_code in (0, 1) and "not a condition" not in result.output, result.output
        assert "--fail-on" in result.stdout  # the comment names the gate
    # the check can fail: the same line unquoted writes a file named 500 (bash's redirection)
    unquoted = lines[0].replace("'", "")
    _bash_argv(unquoted, tmp_path)
    assert (tmp_path / "500").exists()


def test_the_html_report_prices_the_new_side_as_the_diff_does(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    _diff("multi", "--output", "markdown", "--html-report", str(page))
    doc = json.loads(_diff("multi", "--output", "json")[1])
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text  # one self-contained page, no scripts
    for cluster in doc["clusters"]:
        if cluster["status"] == "removed":
            assert f">{cluster['cluster']}<" not in text  # only the new side
            continue
        assert _fmt(Decimal(cluster["monthly_after"])) in text, cluster["cluster"]


def test_links_are_masked_and_must_be_http() -> None:
    run = "https://ci-user:S3cRunPass@github.com/acme/specs/actions/runs/7?token=S3cQuery#S3cFrag"
    code, md = _diff("pool-resize", "--output", "markdown", "--run-url", run,
                     "--report-url", "https://github.com/acme/specs/actions/runs/7/artifacts/9")
    assert code == 0
    assert "[workflow run](<https://***@github.com/acme/specs/actions/runs/7?token=***#***>)" in md
    assert "[HTML report](<https://github.com/acme/specs/actions/runs/7/artifacts/9>)" in md
    assert not re.search("S3c", md)
    bad = runner.invoke(app, ["diff", "--base", str(DATA / "pool-resize.old.yaml"), str(DATA / "pool-resize.new.yaml"),
                              "--output", "markdown", "--report-url", "javascript:alert(1)"])
    assert bad.exit_code == 2 and "not an http(s) URL" in bad.output
