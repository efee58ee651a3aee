"""Issue 25: every file kubefleet reads goes through one guarded reader (kubefleet.safeio), scalars are read
by the YAML 1.2 core schema, render-cache entries carry a digest, and the user's environment (a name over
255 bytes, a full disk, `ulimit -f`, no temporary directory) is exit 2 with what to do -- never 70 or 120.

The hostile policy configs run in ONE subprocess under an OS address-space limit (RLIMIT_AS) and an alarm
per command (tests/test_hostile.py's runner): a regression is a failed test, not a machine out of memory.
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile_cases import good_spec
from tests.test_hostile import PEAK_RSS_MIB, ROOT, SECONDS_PER_COMMAND, SLACK, run_commands

# ---------------------------------------------------------------- hostile policy configs (--config)

CONFIG_HEAD = "apiVersion: kubefleet.dev/v1alpha1\nkind: PolicyConfig\n"


def _bomb() -> str:
    lines = [CONFIG_HEAD + "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(9))}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def _file(text: str | bytes, name: str = "policy.yaml") -> Callable[[Path], Path]:
    def make(directory: Path) -> Path:
        path = directory / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path
    return make


def _fifo(directory: Path) -> Path:
    os.mkfifo(directory / "fifo.yaml")
    return directory / "fifo.yaml"


def _huge(directory: Path) -> Path:
    path = directory / "huge.yaml"
    path.write_text(CONFIG_HEAD + ("# " + "y" * 98 + "\n") * 12_000, encoding="utf-8")  # 1.2 MB > 1 MiB
    return path


# (case, file maker, what the error must say (lowercase), positioned at file:line:col)
CONFIG_CASES: list[tuple[str, Callable[[Path], Path], str, bool]] = [
    ("dev-zero", lambda _d: Path("/dev/zero"), "not a regular file", False),
    ("fifo", _fifo, "not a regular file", False),
    ("directory", lambda d: d, "directory", False),
    ("huge", _huge, "larger than", False),
    ("missing", lambda d: d / "nope.yaml", "not found", False),
    ("long-name", lambda d: d / ("n" * 300 + ".yaml"), "255 bytes", False),
    ("not-utf8", _file(b"\xff\xfe" + CONFIG_HEAD.encode("utf-16-le")), "utf-8", False),
    ("alias-bomb", _file(_bomb()), "alias", True),
    ("deep-nesting", _file(CONFIG_HEAD + "rules: " + "[" * 50_000 + "]" * 50_000 + "\n"), "nest", True),
    ("self-merge", _file(CONFIG_HEAD + "rules: &r\n  <<: *r\n"), "merge", True),
    ("self-alias", _file(CONFIG_HEAD + "rules: &s [1, *s]\n"), "contains itself", True),
    ("bool-maybe", _file(CONFIG_HEAD + "rules:\n  mesh-overhead: !!bool maybe\n"), "!!bool", True),
    ("int-underscore", _file(CONFIG_HEAD + "rules:\n  budget-cluster: {monthlyCap: !!int _1}\n"), "!!int", True),
    ("python-tag", _file(CONFIG_HEAD + "rules: !!python/object:os.system {}\n"), "tag", True),
    ("duplicate-key", _file(CONFIG_HEAD + "rules: {}\nrules: {}\n"), "duplicate", True),
    ("two-documents", _file(CONFIG_HEAD + "---\n" + CONFIG_HEAD), "one yaml document", True),
]


def test_every_hostile_policy_config_and_usage_file_is_exit_2_with_its_position(tmp_path: Path) -> None:
    """`policy check --config` and `policy rules --config`: /dev/zero grew to 22.8 GB and a FIFO hung before;
    a self-referencing merge key, `!!bool maybe` and deep nesting were internal errors. The usage file
    (`cost`/`compare --usage`, issue 24) is read by the same guarded reader and gets the same files."""
    work = tmp_path / "work"
    work.mkdir()
    spec = work / "ok.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    commands: dict[str, list[str]] = {}
    paths: dict[str, Path] = {}
    for name, make, _needs, _positioned in CONFIG_CASES:
        case_dir = work / name
        case_dir.mkdir()
        paths[name] = make(case_dir)
        commands[f"{name}|check"] = ["policy", "check", str(spec), "--provider", "kubeadm", "--config", str(paths[name])]
        commands[f"{name}|rules"] = ["policy", "rules", "--config", str(paths[name])]
        commands[f"{name}|cost-usage"] = ["cost", str(spec), "--provider", "kubeadm", "--usage", str(paths[name])]
        commands[f"{name}|compare-usage"] = ["compare", str(spec), "--providers", "kubeadm", "--usage",
                                             str(paths[name])]
    results = run_commands(commands, work, tmp_path / "home")
    by_case = {name: (needs, positioned) for name, _m, needs, positioned in CONFIG_CASES}
    for key, r in results.items():
        name = key.split("|")[0]
        needs, positioned = by_case[name]
        output = str(r["output"])
        where = f"{key}: {output[:600]}"
        assert r["code"] == 2 and not r["exception"], where
        assert "Traceback" not in output and "internal error" not in output, where
        if "usage" not in key:  # the usage file's own wording is issue 24's; what it must not do is the same
            assert needs in output.lower(), where
        assert float(r["seconds"]) < SECONDS_PER_COMMAND * SLACK, f"{where} took {r['seconds']} s"  # type: ignore[str-format]
        if positioned:
            first = output.splitlines()[0]
            head, line, col = first.split(": ", 1)[0].rsplit(":", 2)
            assert head == str(paths[name]) and line.isdigit() and col.isdigit(), where
    peak = max(float(r["peak_mib"]) for r in results.values())  # type: ignore[arg-type]
    assert peak < PEAK_RSS_MIB, f"peak RSS {peak:.0f} MiB"


def test_a_hostile_catalog_overlay_is_refused_not_crashed(tmp_path: Path) -> None:
    """A refreshed price file in $KUBEFLEET_HOME goes through the same reader: 50,000 '[' overflowed
    libyaml's C stack (a segfault) when the bare C loader read it."""
    from kubefleet.catalog import load_catalog
    from kubefleet.errors import CatalogError

    (tmp_path / "gke.yaml").write_text("x: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="nested more than"):
        load_catalog(tmp_path)
    lenient = load_catalog(tmp_path, strict=False)  # the user's refresh: left out, with a warning
    assert any("nested more than" in w for w in lenient.warnings)


# ---------------------------------------------------------------- YAML 1.2 core schema

# yaml/yaml-spec@1b1a1be43bd6e0cfec45caf0e40af3b5d2bb7f8a:spec/1.2.2/spec.md:6636-6646 -- the core schema's
# integers are `[-+]? [0-9]+ | 0o [0-7]+ | 0x [0-9a-fA-F]+`; a plain scalar matching no expression is a
# string; an explicit tag on text that is not of that type cannot be read as it.
@pytest.mark.parametrize(("count", "expected"), [
    ("3", 3),
    ("0o7", 7),
    ("0x3", 3),
    ("+3", 3),
    ("!!int 3", 3),
    ("!!int _1", "is not a YAML 1.2 !!int"),
    ("!!int 1_000", "is not a YAML 1.2 !!int"),
    ("!!float 1_0.5", "is not a YAML 1.2 !!float"),
    ("!!bool maybe", "is not a YAML 1.2 !!bool"),
    ("1_000", "expected a whole number, got '1_000'"),      # text in YAML 1.2; ruamel alone read 1000
    ("!!str 1_000", "expected a whole number, got '1_000'"),  # explicitly text; pydantic alone read 1000
    ("!!str 3", "expected a whole number, got '3'"),
    ('"3"', "expected a whole number, got '3'"),
    ("&n !!int 0x_1", "is not a YAML 1.2 !!int"),
])
def test_scalars_are_read_by_the_yaml_1_2_core_schema(count: str, expected: int | str) -> None:
    from kubefleet.errors import SpecError
    from kubefleet.spec.loader import load_text

    text = good_spec(count=count)
    if isinstance(expected, int):
        assert load_text(text, "c.yaml")[0].spec.spec.node_pools[0].count == expected
        return
    with pytest.raises(SpecError) as raised:
        load_text(text, "c.yaml")
    rendered = raised.value.render()
    line = text.splitlines().index(f"      count: {count}") + 1
    assert rendered.startswith(f"c.yaml:{line}:14: "), rendered
    assert expected in rendered, rendered


def test_plain_scalars_outside_the_core_schema_are_text() -> None:
    from kubefleet.safeio import parse_documents

    [doc] = parse_documents("a: [1_000, 1_0.5, _1, 0x_1f, 12, -0.5e3, .inf, .NaN, ~, True, yes, '007']\n", "x")
    assert doc["a"][:4] == ["1_000", "1_0.5", "_1", "0x_1f"]
    assert doc["a"][4:6] == [12, -500.0]
    assert doc["a"][6] == float("inf") and doc["a"][7] != doc["a"][7]
    assert doc["a"][8:] == [None, True, "yes", "007"]


# ---------------------------------------------------------------- render cache integrity


def _resolved() -> object:
    from kubefleet.catalog import load_catalog
    from kubefleet.resolve.cluster import resolve
    from kubefleet.spec.loader import load_text

    return resolve(load_text(good_spec(), "c.yaml")[0].spec, "kubeadm", catalog=load_catalog())


def test_a_tampered_render_cache_entry_is_ignored_said_at_debug_and_rewritten(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from kubefleet.render import cache as render_cache
    from kubefleet.render import offline

    cluster = _resolved()
    first = render_cache.cached_render(cluster)  # type: ignore[arg-type]
    path = render_cache._entry(cluster)  # type: ignore[arg-type]
    sealed = path.read_bytes()
    assert sealed.startswith(b"kubefleet-render-cache/")
    # a hit is used as it is: no render
    renders: list[object] = []
    real = offline.render_resolved
    monkeypatch.setattr(offline, "render_resolved", lambda c: renders.append(c) or real(c))
    assert render_cache.cached_render(cluster).resources == first.resources  # type: ignore[arg-type]
    assert renders == []
    # the same JSON with one input changed, its old digest kept: valid JSON, wrong digest -> rendered again
    name = first.resources[0].name
    tampered = sealed.replace(f'"name": "{name}"'.encode(), b'"name": "evil"', 1)
    assert tampered != sealed
    path.write_bytes(tampered)
    with caplog.at_level(logging.DEBUG, logger="kubefleet.render.cache"):
        again = render_cache.cached_render(cluster)  # type: ignore[arg-type]
    assert [r.name for r in again.resources] == [r.name for r in first.resources]
    assert len(renders) == 1
    assert any("digest does not match" in rec.getMessage() and rec.levelno == logging.DEBUG for rec in caplog.records)
    assert path.read_bytes() == sealed  # rewritten with a good digest
    # an entry moved from another key does not verify either (the digest binds the key)
    other = path.with_name("0" * 64 + ".json")
    assert render_cache.unseal(path.stem, sealed)["cluster"] == "ok"
    with pytest.raises(ValueError, match="digest"):
        render_cache.unseal(other.stem, sealed)
    # an entry of the old format (no digest) is a miss
    path.write_bytes(sealed.partition(b"\n")[2])
    render_cache.cached_render(cluster)  # type: ignore[arg-type]
    assert len(renders) == 2


def test_kubefleet_debug_shows_the_ignored_entry_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app
    from kubefleet.render import cache as render_cache

    spec = tmp_path / "ok.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    args = ["cost", str(spec), "--provider", "kubeadm"]
    assert CliRunner().invoke(app, args).exit_code == 0
    [entry] = list(render_cache.cache_dir().rglob("*.json"))
    entry.write_bytes(entry.read_bytes().replace(b'"kubeadm"', b'"KUBEADM"', 1))
    quiet = CliRunner().invoke(app, args)  # without KUBEFLEET_DEBUG nothing is said
    assert quiet.exit_code == 0 and "debug:" not in quiet.output
    entry.write_bytes(entry.read_bytes().replace(b'"kubeadm"', b'"KUBEADM"', 1))
    monkeypatch.setenv("KUBEFLEET_DEBUG", "1")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "debug: kubefleet.render.cache: render cache entry" in result.output, result.output
    assert "digest does not match" in result.output
    assert render_cache.unseal(entry.stem, entry.read_bytes())["provider"] == "kubeadm"


# ---------------------------------------------------------------- the user's environment: exit 2


LONG = "n" * 300


@pytest.mark.parametrize("args", [
    ["validate", f"{LONG}.yaml"],
    ["policy", "check", "ok.yaml", "--provider", "kubeadm", "--config", f"{LONG}.yaml"],
    ["policy", "check", f"{LONG}.yaml"],
    ["fleet", LONG],
    ["diff", "--base", f"{LONG}.yaml", "ok.yaml", "--providers", "kubeadm"],
    ["init", "x", "--path", f"{LONG}/x.yaml"],
    ["compare", f"{LONG}/ok.yaml"],
], ids=["validate", "policy-config", "policy-spec", "fleet", "diff-base", "init-path", "compare"])
def test_a_name_over_255_bytes_is_exit_2_with_a_hint(args: list[str], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.yaml").write_text(good_spec(), encoding="utf-8")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "255 bytes" in result.output and "internal error" not in result.output, result.output
    assert "hint:" in result.output or "shorten" in result.output, result.output


def test_a_kubefleet_home_over_255_bytes_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    spec = tmp_path / "ok.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    monkeypatch.setenv("KUBEFLEET_HOME", str(tmp_path / LONG))
    result = CliRunner().invoke(app, ["cost", str(spec), "--provider", "kubeadm"])
    assert result.exit_code == 2, result.output
    assert "255 bytes" in result.output and "shorten that name" in result.output, result.output


def _limited_fsize() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))  # `ulimit -f`: 200 bytes


@pytest.mark.parametrize(("args", "where"), [
    (["policy", "rules"], "/dev/full"),                  # a rich table
    (["--help"], "/dev/full"),                           # outside any command
    (["policy", "rules", "-o", "json"], "ulimit"),       # console.write; Python's stdout dropped a short write
], ids=["table-full", "help-full", "json-ulimit-f"])
def test_stdout_on_a_full_disk_or_past_ulimit_f_is_exit_2(args: list[str], where: str, tmp_path: Path) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    env = dict(os.environ, KUBEFLEET_HOME=str(tmp_path / "home"), NO_COLOR="1", PYTHONPATH=str(ROOT))
    env.pop("KUBEFLEET_DEBUG", None)
    argv = [sys.executable, "-m", "kubefleet.cli", *[str(spec) if a == "SPEC" else a for a in args]]
    if where == "/dev/full":
        with open("/dev/full", "w") as full:
            done = subprocess.run(argv, env=env, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        said = "no space left writing standard output"
    else:
        with (tmp_path / "out.json").open("w") as out:
            done = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.PIPE, text=True, timeout=120,
                                  preexec_fn=_limited_fsize)
        said = "file-size limit (ulimit -f)"
    assert done.returncode == 2, done.stderr  # was 120 (a failed flush at exit) or killed by SIGXFSZ
    assert said in done.stderr and "hint:" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_no_writable_temporary_directory_is_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What Python raises when no temporary directory can be written (the engine's workspaces need one)."""
    from typer.testing import CliRunner

    from kubefleet.cli.app import app
    from kubefleet.errors import environment_error

    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(tempfile, "_candidate_tempdir_list", lambda: [str(tmp_path / "gone")])
    with pytest.raises(FileNotFoundError) as raised:
        tempfile.mkdtemp()
    problem = environment_error(raised.value)
    assert problem is not None and "TMPDIR" in (problem.hint or "")

    import kubefleet.spec.loader as loader

    def needs_a_temp_dir(_path: object) -> object:
        return tempfile.mkdtemp()

    monkeypatch.setattr(loader, "load_file", needs_a_temp_dir)
    spec = tmp_path / "ok.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2, result.output
    assert "no writable temporary directory" in result.output and "TMPDIR" in result.output


def test_an_os_error_that_is_not_the_environment_is_still_a_bug() -> None:
    import errno

    from kubefleet.errors import environment_error

    assert environment_error(OSError(errno.EBADF, "Bad file descriptor")) is None


# ---------------------------------------------------------------- hostile options (in-process: no file is read)

#: (args, exit code): every option that takes free text, given text it must refuse (or safely accept)
HOSTILE_OPTIONS: dict[str, tuple[list[str], int]] = {
    "compare-as-of-month-13": (["compare", "SPEC", "--as-of", "2026-13-45"], 2),
    "compare-as-of-empty": (["compare", "SPEC", "--as-of", ""], 2),
    "compare-providers-injection": (["compare", "SPEC", "--providers", "gke,,$(id)"], 2),
    "compare-output-xml": (["compare", "SPEC", "-o", "xml"], 2),
    "compare-hours-negative": (["compare", "SPEC", "--providers", "kubeadm", "--hours", "-1"], 2),
    "cost-provider-path": (["cost", "SPEC", "--provider", "../../etc"], 2),
    "cost-as-of-year-0": (["cost", "SPEC", "--provider", "kubeadm", "--as-of", "0000-01-01"], 2),
    "plan-as-of-year-9999": (["plan", "SPEC", "--provider", "kubeadm", "--as-of", "9999-12-31"], 0),
    "fleet-by-unknown": (["fleet", "SPEC", "--by", "nonsense"], 2),
    "fleet-jobs-negative": (["fleet", "SPEC", "--jobs", "-1"], 2),
    "fleet-jobs-huge": (["fleet", "SPEC", "--no-compare", "--jobs", "100000"], 0),
    "policy-provider-list": (["policy", "check", "SPEC", "--provider", "all,x"], 2),
    "policy-config-directory": (["policy", "check", "SPEC", "--config", "DIR"], 2),
    "policy-rules-config-fifo": (["policy", "rules", "--config", "DIR/f.yaml"], 2),
    "diff-base-git-option": (["diff", "--base", "--upload-pack=touch /tmp/x", "SPEC"], 2),
    "upgrade-to-major": (["upgrade", "plan", "SPEC", "--to", "2.0"], 2),
    "upgrade-to-word": (["upgrade", "plan", "SPEC", "--to", "abc"], 2),
    "upgrade-by-past": (["upgrade", "plan", "SPEC", "--by", "2020-01-01"], 2),
    "upgrade-manifests-device": (["upgrade", "plan", "SPEC", "--manifests", "/dev/zero"], 2),
    "upgrade-manifests-fifo": (["upgrade", "plan", "SPEC", "--manifests", "DIR"], 2),
    "init-name-path": (["init", "../x"], 2),
    "destroy-stack-path": (["destroy", "SPEC", "--stack", "../../x", "--yes"], 2),
    "stacks-backend-javascript": (["stacks", "--backend", "javascript:alert(1)"], 2),
    "prices-provider-unknown": (["prices", "show", "--provider", "nope"], 2),
    "validate-output-xml": (["validate", "SPEC", "-o", "xml"], 2),
}


def test_hostile_options_are_refused_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    spec = tmp_path / "ok.yaml"
    spec.write_text(good_spec(), encoding="utf-8")
    directory = tmp_path / "dir"
    directory.mkdir()
    os.mkfifo(directory / "f.yaml")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for name, (args, code) in HOSTILE_OPTIONS.items():
        argv = [a.replace("SPEC", str(spec)).replace("DIR", str(directory)) for a in args]
        result = runner.invoke(app, argv)
        assert result.exit_code == code, f"{name}: exit {result.exit_code}: {result.output[-600:]}"
        assert "Traceback" not in result.output and "internal error" not in result.output, name


# ---------------------------------------------------------------- --help placeholders


def _commands(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not getattr(sub, "hidden", False):
            out.extend(_commands(sub, (*path, name)))
    return out


def test_help_has_no_type_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    """`<str>`, `<list[Path]>`, `{files}...` read as a stack trace of typer; kubectl and pulumi write
    `--as-of DATE` and `FILE...`."""
    import re

    import typer
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    monkeypatch.setenv("COLUMNS", "100")
    runner = CliRunner()
    paths = _commands(typer.main.get_command(app))
    assert len(paths) > 20
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        leftovers = re.findall(r"<(?:str|int|float|path|list\[[^\]]*\]|Path|text|decimal)>|\{\w+\}", result.output)
        assert not leftovers, f"kubefleet {' '.join(path)} --help: {leftovers}\n{result.output}"
    usage = runner.invoke(app, ["validate", "--help"]).output
    assert "Usage: kubefleet validate [OPTIONS] FILE..." in usage and "--as-of DATE" in usage


# ---------------------------------------------------------------- validate in GitHub Actions


def _unescape(text: str) -> str:  # the inverse of actions/toolkit's escapeData / escapeProperty
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def test_validate_writes_github_annotations_in_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    bad = tmp_path / "odd,name:100%.yaml"  # characters the toolkit escapes in a property
    bad.write_text(good_spec(count="!!int _1").replace("region: us-east", "region: us-east\n  extra: 1"),
                   encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    plain = CliRunner().invoke(app, ["validate", bad.name])
    assert plain.exit_code == 2 and "::error" not in plain.output
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = CliRunner().invoke(app, ["validate", bad.name])
    assert result.exit_code == 2
    commands = [line for line in result.output.splitlines() if line.startswith("::error ")]
    positioned = [line for line in result.output.splitlines() if line.startswith(bad.name + ":")]
    assert len(commands) == len(positioned) >= 1, result.output
    for command, line in zip(commands, positioned, strict=True):
        match = re.fullmatch(r"::error (?P<props>[^:]*)::(?P<message>.*)", command)
        assert match, command
        props = {k: _unescape(v) for k, v in (p.split("=", 1) for p in match["props"].split(","))}
        assert props["file"] == bad.name and props["title"] == "kubefleet validate"
        message = _unescape(match["message"]).split("\nhint:")[0]
        assert f"{props['file']}:{props['line']}:{props['col']}: {message}" == line


# ---------------------------------------------------------------- --out-file


def test_out_file_replaces_the_file_only_when_the_command_runs(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    runner = CliRunner()
    target = tmp_path / "rules.json"
    plain = runner.invoke(app, ["policy", "rules", "-o", "json"])
    written = runner.invoke(app, ["policy", "rules", "-o", "json", "--out-file", str(target)])
    assert written.exit_code == 0 and written.stdout == ""
    assert target.read_text(encoding="utf-8") == plain.stdout
    assert oct(target.stat().st_mode & 0o777) != "0o600"  # as a shell redirect would create it, not mkstemp's
    failed = runner.invoke(app, ["policy", "rules", "-o", "json", "--config", str(tmp_path / "missing.yaml"),
                                 "--out-file", str(target)])
    assert failed.exit_code == 2 and "not found" in failed.output
    assert target.read_text(encoding="utf-8") == plain.stdout  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.json"]  # no temporary file left behind
    # every command that writes a report in a chosen format takes it
    missing = []
    for path in _commands(typer.main.get_command(app)):
        help_text = runner.invoke(app, [*path, "--help"]).output
        if "-o, --output" in help_text and "table|" in help_text and "--out-file" not in help_text:
            missing.append(" ".join(path))
    assert not missing, missing
