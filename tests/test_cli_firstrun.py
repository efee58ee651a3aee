"""First-run details: -h, version, shell completion, init/schema into missing directories, a supported
Kubernetes version in the starter, an offline schema modeline, did-you-mean for provider aliases and
provider-native regions, directory walks that skip Kubernetes manifests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app

runner = CliRunner()
KUBEFLEET = Path(sys.executable).parent / "kubefleet"


def test_short_help_on_the_root_and_on_commands() -> None:
    assert "Commands" in runner.invoke(app, ["-h"]).stdout
    sub = runner.invoke(app, ["diff", "-h"])
    assert sub.exit_code == 0 and "--fail-on" in sub.stdout


def test_version_command() -> None:
    from kubefleet import __version__

    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0 and result.stdout.startswith(f"kubefleet {__version__} (Python ")


def test_bash_completion_completes_commands_in_a_real_bash(tmp_path: Path) -> None:
    """Oracle: bash itself — the printed script is sourced and its completion function is called the way
    bash's programmable completion calls it (COMP_WORDS / COMP_CWORD)."""
    script = subprocess.run([str(KUBEFLEET), "completion", "bash"], capture_output=True, text=True, check=True).stdout
    (tmp_path / "c.bash").write_text(script)
    probe = (f'source {tmp_path / "c.bash"}\n'
             'complete -p kubefleet\n'
             'COMP_WORDS=(kubefleet dif); COMP_CWORD=1; _kubefleet_completion kubefleet; echo "WORDS=${COMPREPLY[*]}"\n'
             'COMP_WORDS=(kubefleet completion ""); COMP_CWORD=2; _kubefleet_completion kubefleet; echo "SHELLS=${COMPREPLY[*]}"\n')
    env = {**os.environ, "PATH": f"{KUBEFLEET.parent}:{os.environ['PATH']}"}
    out = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True, env=env, check=True).stdout
    assert "complete -o default -F _kubefleet_completion kubefleet" in out or "_kubefleet_completion kubefleet" in out
    assert "WORDS=diff" in out, out
    assert re.search(r"SHELLS=.*bash.*zsh.*fish", out), out


@pytest.mark.parametrize("shell,needle,checker", [("zsh", "compdef _kubefleet_completion kubefleet", "zsh"),
                                                  ("fish", "complete --command kubefleet", "fish")])
def test_zsh_and_fish_scripts(shell: str, needle: str, checker: str) -> None:
    result = runner.invoke(app, ["completion", shell])
    assert result.exit_code == 0 and needle in result.stdout
    exe = shutil.which(checker)
    if exe is None:
        return  # the shell is not installed here: its syntax check is skipped, the content was checked
    done = subprocess.run([exe, "-n"], input=result.stdout, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_unknown_shell_is_a_usage_error() -> None:
    assert runner.invoke(app, ["completion", "tcsh"]).exit_code == 2


def test_init_and_schema_create_missing_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "payments.yaml"
    result = runner.invoke(app, ["init", "payments", "--path", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file()
    out = tmp_path / "x" / "y" / "cluster.schema.json"
    assert runner.invoke(app, ["schema", "-o", str(out)]).exit_code == 0
    assert out.read_text().lstrip().startswith("{")


def test_init_writes_a_version_the_default_policy_accepts_today(tmp_path: Path) -> None:
    """Oracle: the policy engine with its default rules, run as `kubefleet policy check` on every provider."""
    for provider in ("gke", "eks", "aks", "kubeadm"):
        target = tmp_path / provider / "starter.yaml"
        assert runner.invoke(app, ["init", "starter", "--path", str(target), "--provider", provider]).exit_code == 0
        check = runner.invoke(app, ["policy", "check", str(target), "--provider", "all", "--output", "json"])
        assert check.exit_code == 0, (provider, check.output[-2000:])
        assert "version-support" not in check.stdout and "version-known" not in check.stdout, provider


def test_init_modeline_points_at_a_schema_file_beside_the_spec(tmp_path: Path) -> None:
    from kubefleet.spec.schema import schema_text

    target = tmp_path / "clusters" / "payments.yaml"
    assert runner.invoke(app, ["init", "payments", "--path", str(target)]).exit_code == 0
    first = target.read_text().splitlines()[0]
    m = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert m, first
    schema_ref = m.group(1)
    assert "://" not in schema_ref  # works offline
    resolved = (target.parent / schema_ref).resolve()  # relative to the YAML file, as yaml-language-server does
    assert resolved.read_text() == schema_text()


def test_provider_aliases_get_a_did_you_mean(tmp_path: Path) -> None:
    from kubefleet.errors import UsageError
    from kubefleet.providers import check_provider

    for alias, key in (("gcp", "gke"), ("aws", "eks"), ("azure", "aks"), ("AWS", "eks")):
        with pytest.raises(UsageError) as err:
            check_provider(alias)
        assert f"did you mean {key!r}" in (err.value.hint or ""), alias
    spec = (Path(__file__).parent / "data" / "diff" / "pool-resize.old.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(spec.replace("provider: eks", "provider: aws"))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2 and "did you mean 'eks'" in result.output, result.output


@pytest.mark.parametrize("native,neutral", [("us-east-1", "us-east"), ("westeurope", "europe-west"),
                                            ("asia-southeast1", "asia-southeast")])
def test_provider_native_region_names_get_a_did_you_mean(tmp_path: Path, native: str, neutral: str) -> None:
    spec = (Path(__file__).parent / "data" / "diff" / "pool-resize.old.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(re.sub(r"region: \S+", f"region: {native}", spec, count=1))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"did you mean '{neutral}'" in result.output, result.output


MANIFEST = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\n"
CAPI = "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {name: capi}\n"


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "k8s").mkdir(parents=True)
    (root / "k8s" / "web.yaml").write_text(MANIFEST)
    (root / "k8s" / "capi.yml").write_text(CAPI)
    src = Path(__file__).parent / "data" / "diff" / "pool-resize.old.yaml"
    (root / "orders.yaml").write_text(src.read_text().replace('"1.33"', '"1.35"'))  # offered on EKS on the test day
    return root


def test_validate_policy_and_fleet_skip_manifests_with_a_count(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for args in (["validate", str(root)], ["policy", "check", str(root), "--output", "json"],
                 ["fleet", str(root), "--no-compare", "--output", "json"]):
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), (args, result.output[-1500:])  # 1: a policy finding, not a load error
        assert "skipped 2 YAML files whose kind is not Cluster" in result.stderr, (args, result.stderr)
        assert "Deployment" in result.stderr and "cluster.x-k8s.io" in result.stderr


def test_a_manifest_named_explicitly_is_still_an_error(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    result = runner.invoke(app, ["validate", str(root / "k8s" / "web.yaml")])
    assert result.exit_code == 2
