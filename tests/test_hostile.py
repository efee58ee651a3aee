"""Hostile and huge input (issue 14): bounded time and memory, exit 2 (or 1 where the job ran), never an
internal error, never an injected option, never a leaked credential.

Each hostile spec (tests/hostile_cases.py, generated here, large ones included) goes through every
command that reads specs. One subprocess per case runs all seven commands through Typer's CliRunner
under ``RLIMIT_AS`` and a SIGALRM per command, so a regression (a bomb, a hang) fails fast instead of
taking the machine; each command's wall-clock time and the process's peak RSS are asserted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.hostile_cases import CASES, Case, command_lines, good_spec

ROOT = Path(__file__).resolve().parent.parent
SECONDS_PER_COMMAND = 2.0       # the ceiling for a hostile input
SLACK = float(os.environ.get("KUBEFLEET_HOSTILE_SLACK", "2.5"))  # shared CI runners are slower
PEAK_RSS_MIB = 200
ADDRESS_SPACE_MIB = 1536        # RLIMIT_AS: the hard stop (virtual size is far above RSS: threads, mmaps)

CPU_SECONDS = 60                # RLIMIT_CPU: the OS stops a runner that spins (SIGXCPU, then SIGKILL)


def os_ceilings() -> None:
    """The runner's ceilings, set by the OS in the child before it runs any of our code (preexec): address
    space (a bomb gets MemoryError, never the machine's memory) and CPU seconds (a spin is killed)."""
    import resource

    cap = ADDRESS_SPACE_MIB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))


RUNNER = textwrap.dedent("""
    import json, resource, signal, sys, time
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == {cap} * 1024 * 1024  # set by the OS before we ran

    def alarm(_signum, _frame):
        raise TimeoutError("command took longer than its alarm")

    signal.signal(signal.SIGALRM, alarm)

    def peak_mib():
        # VmHWM restarts at exec; ru_maxrss would include the forking pytest worker's size
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from typer.testing import CliRunner
    from kubefleet.cli.app import app
    runner = CliRunner()
    results = {{}}
    for name, args in json.loads(sys.argv[1]).items():
        start = time.monotonic()
        signal.alarm({alarm})
        try:
            res = runner.invoke(app, args, catch_exceptions=True)
            code, out = res.exit_code, res.output
            exc = "" if res.exception is None or isinstance(res.exception, SystemExit) else repr(res.exception)
        except TimeoutError as err:
            code, out, exc = -1, "", repr(err)
        finally:
            signal.alarm(0)
        results[name] = {{"code": code, "seconds": time.monotonic() - start, "output": out[-20000:],
                         "length": len(out), "exception": exc[:500],
                         "peak_mib": peak_mib()}}
    print(json.dumps(results))
""")


def run_commands(commands: dict[str, list[str]], cwd: Path, home: Path) -> dict[str, dict[str, object]]:
    code = RUNNER.format(cap=ADDRESS_SPACE_MIB, alarm=int(SECONDS_PER_COMMAND * SLACK * 3) + 1)
    # KUBEFLEET_HOSTILE_SRC: run the commands from another checkout (to see this suite fail on an old tree)
    src = os.environ.get("KUBEFLEET_HOSTILE_SRC", str(ROOT))
    env = dict(os.environ, KUBEFLEET_HOME=str(home), NO_COLOR="1", COLUMNS="160", PYTHONPATH=src)
    env.pop("KUBEFLEET_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", code, json.dumps(commands)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          preexec_fn=os_ceilings)
    assert done.returncode == 0, f"runner died (exit {done.returncode}): {done.stderr[-2000:]}"
    results: dict[str, dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def expected_exit(case: Case, command: str) -> int:
    # fleet reads many files: a file that fails to load is a finding in its report (exit 1), not a usage error
    return case.fleet_exit if command == "fleet" else case.exit_code


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_spec_through_every_command(case: Case, tmp_path: Path) -> None:
    directory = tmp_path / "work"
    directory.mkdir()
    path = case.make(directory)
    commands = command_lines(str(path))
    if case.name == "dir-as-file":  # validate, policy, fleet and upgrade take directories on purpose
        commands = {k: v for k, v in commands.items() if k in ("plan", "compare", "cost", "diff")}
    results = run_commands(commands, directory, tmp_path / "home")
    for command, r in results.items():
        where = f"{case.name} × {command}: {r['output']!s:.600}"
        assert r["code"] == expected_exit(case, command), where
        assert not r["exception"], where
        output = str(r["output"])
        assert "Traceback" not in output and "internal error" not in output, where
        assert float(r["seconds"]) < SECONDS_PER_COMMAND * SLACK, f"{where} took {r['seconds']:.1f} s"  # type: ignore[str-format]
        assert int(r["length"]) < 20_000, f"{where}: {r['length']} characters of output"  # a 4 MB value is cut
        if command != "fleet":
            assert case.needs in output.lower(), where
            if case.positioned:
                assert f"{path}:" in output and any(
                    line.startswith(f"{path}:") and line.split(":")[1].isdigit() for line in output.splitlines()
                ), where
    peak = max(float(r["peak_mib"]) for r in results.values())  # type: ignore[arg-type]
    assert peak < PEAK_RSS_MIB, f"{case.name}: peak RSS {peak:.0f} MiB"


def test_validate_dir_reports_every_bad_file(tmp_path: Path) -> None:
    """`validate DIR` never stops at the first bad file: every file's problem is reported."""
    directory = tmp_path / "specs"
    directory.mkdir()
    names = []
    for case in CASES:
        if case.name in ("dev-zero", "fifo", "dir-as-file", "huge-file", "not-utf8", "name-over-255-bytes"):
            continue  # not files inside a directory (or covered above)
        sub = tmp_path / case.name
        sub.mkdir()
        made = case.make(sub)
        target = directory / f"{case.name}.yaml"
        target.write_bytes(made.read_bytes())
        names.append(target.name)
    (directory / "good.yaml").write_text(good_spec(), encoding="utf-8")
    results = run_commands({"validate": ["validate", str(directory)]}, tmp_path, tmp_path / "home")
    r = results["validate"]
    output = str(r["output"])
    assert r["code"] == 2 and not r["exception"], output[:2000]
    for name in names:
        assert f"{name}:" in output, f"{name} not reported:\n{output[:3000]}"
    assert "good.yaml: 1 cluster" in output


def _kubefleet(args: list[str], cwd: Path, home: Path, shell_tail: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KUBEFLEET_HOME=str(home), NO_COLOR="1", PYTHONPATH=str(ROOT))
    launch = [sys.executable, "-c", "import sys; sys.argv[0] = 'kubefleet'; "
              "from kubefleet.cli.main import main; main()", *args]
    if shell_tail:
        import shlex
        return subprocess.run(shlex.join(launch) + shell_tail, shell=True, executable="/bin/bash", cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=120)
    return subprocess.run(launch, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_options_nan_infinity_and_a_closed_pipe(tmp_path: Path) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    results = run_commands({
        "hours-nan": ["compare", str(spec), "--providers", "kubeadm", "--hours", "NaN"],
        "egress-inf": ["compare", str(spec), "--providers", "kubeadm", "--egress-gb", "Infinity"],
        "hours-snan": ["cost", str(spec), "--provider", "kubeadm", "--hours", "sNaN"],
        "hours-huge": ["fleet", str(spec), "--no-compare", "--hours", "1e999999"],
    }, tmp_path, tmp_path / "home")
    for name, r in results.items():
        assert r["code"] == 2 and not r["exception"], f"{name}: {r['output']}"
        assert "not a finite number" in str(r["output"]) or "not a number" in str(r["output"]), name
    # `compare | head -1`: the reader goes away; kubefleet exits 0 without a word on stderr
    done = _kubefleet(["compare", str(spec), "--providers", "kubeadm"], tmp_path, tmp_path / "home",
                      shell_tail=" | head -1; exit ${PIPESTATUS[0]}")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip()


def test_error_lines_are_never_wrapped_in_ci(tmp_path: Path) -> None:
    """A 160-column CI log must get `file:line:col: message` on one line, however long."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    spec = deep / "spec.yaml"
    spec.write_text(good_spec(count="true"), encoding="utf-8")
    done = _kubefleet(["validate", str(spec)], tmp_path, tmp_path / "home")
    assert done.returncode == 2
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"{spec}:13:14: ") and "expected a whole number" in first, done.stderr


def test_diff_base_can_never_become_a_git_option(tmp_path: Path) -> None:
    """`diff --base='--output=injected:y'` once made `git show` write a file and reported success."""
    repo = tmp_path / "repo"
    repo.mkdir()
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    spec = repo / "c.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    for args in (["init", "-q"], ["add", "c.yaml"], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    for base in ("--output=injected:y", "-p:c.yaml", "--exec-path=/tmp:c.yaml", "HEAD:--output=x"):
        done = _kubefleet(["diff", f"--base={base}", "c.yaml", "--providers", "kubeadm"], repo, tmp_path / "home")
        assert done.returncode == 2, (base, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert sorted(p.name for p in repo.iterdir()) == [".git", "c.yaml"], base
    done = _kubefleet(["diff", "--base=HEAD:c.yaml", "c.yaml", "--providers", "kubeadm"], repo, tmp_path / "home")
    assert done.returncode == 0, done.stderr  # a real ref still works
    assert "unchanged" in done.stdout


def test_count_true_and_binary_name_are_errors(load_spec: object) -> None:
    from kubefleet.errors import SpecError
    from kubefleet.spec.loader import load_text

    with pytest.raises(SpecError, match=r"count: expected a whole number, got True"):
        load_text(good_spec(count="true"), "c.yaml")
    with pytest.raises(SpecError, match=r"c.yaml:4:9: a !!binary value is not text"):
        load_text(good_spec(name="!!binary cmVk"), "c.yaml")
    # numbers still read as numbers, strings that look like numbers stay where they are allowed
    assert load_text(good_spec(count="3"), "c.yaml")[0].spec.spec.node_pools[0].count == 3


def test_protection_by_normalised_env_label_and_explicit_flag() -> None:
    from kubefleet.resolve.cluster import should_protect
    from kubefleet.spec.loader import load_text

    def spec(env: str, extra: str = "") -> bool:
        text = good_spec().replace("env: dev}", f"env: {env}}}" + extra)
        return should_protect(load_text(text, "c.yaml")[0].spec)

    for env in ("prod", "production", "prd"):
        assert spec(env), env
    assert spec("PROD".lower())  # label values are lowercase by the label rule; the check lowercases anyway
    assert not spec("dev") and not spec("staging") and not spec("preprod")
    assert spec("dev", "\n  protected: true")
    assert not spec("dev", "\n  protected: false")


def test_destroy_refuses_production_variants_without_force(tmp_path: Path) -> None:
    """The refusal happens before any engine call, so it is testable without the Pulumi CLI."""
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    for env, extra in (("production", ""), ("prd", ""), ("dev", "\n  protected: true")):
        spec = tmp_path / f"{env}.yaml"
        spec.write_text(good_spec().replace("env: dev}", f"env: {env}}}" + extra), encoding="utf-8")
        res = CliRunner().invoke(app, ["destroy", str(spec), "--provider", "kubeadm", "--yes"])
        assert res.exit_code == 2, res.output
        assert "refusing to destroy" in res.output


def test_backend_credentials_are_masked() -> None:
    from kubefleet.engine.backend import mask_url, resolve_backend

    url = "https://user:TOKEN-abc123@api.example.com/org?sig=SECRETSIG&region=x"
    masked = mask_url(url)
    assert "TOKEN" not in masked and "SECRETSIG" not in masked and "user" not in masked
    assert masked == "https://***@api.example.com/org?sig=***&region=***"  # every query value, by structure
    backend = resolve_backend(url)
    assert "TOKEN-abc123" not in backend.describe()
    assert "TOKEN-abc123" in backend.secret_values()  # scrubbed from engine output too
    assert mask_url("user:pass@host") == "***@host"


def test_up_header_masks_the_backend_url() -> None:
    from rich.console import Console

    from kubefleet.cli.engine_cmds import _header
    from kubefleet.engine.backend import resolve_backend
    from kubefleet.engine.workspace import StackTarget
    from kubefleet.spec.loader import load_text

    spec = load_text(good_spec(), "c.yaml")[0].spec
    target = StackTarget(spec=spec, provider="kubeadm", stack_name="ok-kubeadm",
                         backend=resolve_backend("https://user:TOKEN-abc123@api.example.com"))
    console = Console(record=True, width=200)
    _header(target, console)
    text = console.export_text()
    assert "TOKEN-abc123" not in text and "https://***@api.example.com" in text


def test_kubefleet_home_expands_tilde(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kubefleet.cost.sources.cache import cache_dir
    from kubefleet.render import cache as render_cache

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBEFLEET_HOME", "~/kf")
    assert render_cache.cache_dir() == tmp_path / "kf" / "cache" / "render"
    assert cache_dir() == tmp_path / "kf" / "prices"


@pytest.mark.parametrize("entry", [
    '{"cluster": "x", "resources": [{"inputs": null}]}',
    "null",
    "[" * 100_000 + "]" * 100_000,
    '{"cluster": 1}',
    "\xff\xfe not json",
])
def test_corrupt_render_cache_entries_are_misses(entry: str) -> None:
    from kubefleet.catalog import load_catalog
    from kubefleet.render import cache as render_cache
    from kubefleet.render.offline import render
    from kubefleet.resolve.cluster import resolve
    from kubefleet.spec.loader import load_text

    spec = load_text(good_spec(), "c.yaml")[0].spec
    catalog = load_catalog()
    path = render_cache._entry(resolve(spec, "kubeadm", catalog=catalog))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(entry.encode("utf-8", "surrogateescape"))
    graph = render_cache.cached_render(resolve(spec, "kubeadm", catalog=catalog))
    assert len(graph.resources) == len(render(spec, "kubeadm", catalog=catalog).resources)
    key = path.stem
    assert render_cache.unseal(key, path.read_bytes())["cluster"] == "ok"  # rewritten, with its digest


def test_a_fifo_render_cache_entry_does_not_hang(tmp_path: Path) -> None:
    from kubefleet.catalog import load_catalog
    from kubefleet.render import cache as render_cache
    from kubefleet.resolve.cluster import resolve
    from kubefleet.spec.loader import load_text

    spec = load_text(good_spec(), "c.yaml")[0].spec
    catalog = load_catalog()
    path = render_cache._entry(resolve(spec, "kubeadm", catalog=catalog))
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    graph = render_cache.cached_render(resolve(spec, "kubeadm", catalog=catalog))  # a miss; the write replaces it
    assert graph.resources


def test_free_text_in_the_pr_comment_is_inert_markdown() -> None:
    """A --title is free text: it must not open HTML, links, images, emphasis or new lines/sections."""
    from kubefleet.report.pr_markdown import render_pr_markdown

    title = "costs <img src=x onerror=alert(1)> ![i](http://e/x.png) [l](http://e) *b* `c` | @alice\n\n# injected"
    text = render_pr_markdown([], title)
    heading = text.splitlines()[1]
    assert heading.startswith("## costs &lt;img")
    assert "<img" not in text and "\n# injected" not in text
    assert not re.search(r"(?<!\\)\]\(", text)  # every link/image bracket is escaped
    assert "\\*b\\*" in heading and "\\`c\\`" in heading and "\\|" in heading and "@alice" not in heading
    assert render_pr_markdown([], "kubefleet: 2 clusters change").splitlines()[1] == "## kubefleet: 2 clusters change"


def test_yaml_1_2_spellings_libyaml_rejects_still_load() -> None:
    """libyaml (the fast C parser) is YAML 1.1: `03:00` inside a flow mapping is a syntax error there;
    the loader then parses with ruamel's own YAML 1.2 parser, as before, and resolves scalars the same."""
    from kubefleet.spec.loader import load_text, parse_documents

    text = good_spec().replace("  region: us-east\n", "  region: us-east\n  upgrades: {maintenanceWindow: "
                               "{day: sun, start: 03:00, hours: 4}}\n")
    [loaded] = load_text(text, "c.yaml")
    assert loaded.spec.spec.upgrades.maintenance_window is not None
    assert loaded.spec.spec.upgrades.maintenance_window.start == "03:00"
    # YAML 1.2 core schema (yaml/yaml-spec@1b1a1be:spec/1.2.2/spec.md:6636-6646): `1_000` matches no
    # number expression, so it is text; ruamel alone would read 1000
    assert parse_documents("a: [yes, 0o17, 0x1f, 1_000, &b true, 1:20]\n", "x")[0]["a"] == \
        ["yes", 15, 31, "1_000", True, "1:20"]
