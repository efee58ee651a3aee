"""Hostile and huge inputs (issue 14), generated on demand: shared by tests/test_hostile.py and
benchmarks/hostile_bench.py so the regression suite and the before/after table run the same cases.

Each case is a spec *path* (a file, a FIFO, a device, a directory) that every spec-reading command is
pointed at, and the exit code kubefleet must answer with. Large fixtures are generated here, never
committed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GOOD = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{team: t, owner: o, cost-center: cc-1, env: dev}}
spec:
  provider: kubeadm
  kubernetes: {{version: "1.33"}}
  region: us-east
  nodePools:
    - name: general
      machine: {{vcpus: 4, memoryGiB: 16}}
      count: {count}
"""


def good_spec(name: str = "ok", count: str = "3") -> str:
    return GOOD.format(name=name, count=count)


def _billion_laughs() -> str:
    # the classic: 9 levels of 9 aliases each -> 9**9 (387 million) strings when expanded, ~1 KB of YAML
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join(f"*a{i - 1}" for _ in range(9))
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _spec_bomb() -> str:
    # the bomb inside a real spec (under metadata.labels), so it is reached by the conversion
    bomb = _billion_laughs().replace("\n", "\n    ")
    return good_spec().replace("  labels:", f"  x:\n    {bomb}\n  labels:", 1)


def _write(text: str | bytes) -> Callable[[Path], Path]:
    def make(directory: Path) -> Path:
        path = directory / "spec.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path
    return make


def _fifo(directory: Path) -> Path:
    path = directory / "x.yaml"
    os.mkfifo(path)
    return path


def _dir_as_file(directory: Path) -> Path:
    path = directory / "specdir.yaml"
    path.mkdir()
    (path / "a.yaml").write_text(good_spec(), encoding="utf-8")
    return path


def _dev_zero(_directory: Path) -> Path:
    return Path("/dev/zero")


def _huge_file(directory: Path) -> Path:
    path = directory / "huge.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(good_spec())
        handle.write("# " + "x" * 1000 + "\n" * 1)
        chunk = ("# " + "y" * 98 + "\n") * 10_000
        for _ in range(7):  # 7 MB of comments, over the 5 MiB cap
            handle.write(chunk)
    return path


def _deep(directory: Path) -> Path:
    path = directory / "deep.yaml"
    path.write_text(good_spec().replace("  labels:", "  x: " + "[" * 50_000 + "]" * 50_000 + "\n  labels:", 1),
                    encoding="utf-8")
    return path


def _self_merge(directory: Path) -> Path:
    path = directory / "merge.yaml"
    path.write_text(good_spec().replace("metadata:\n", "metadata: &m\n  <<: *m\n", 1), encoding="utf-8")
    return path


def _self_alias(directory: Path) -> Path:
    path = directory / "selfref.yaml"
    path.write_text(good_spec().replace("  labels:", "  x: &s [1, *s]\n  labels:", 1), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], Path]
    exit_code: int = 2
    positioned: bool = True   # the error names file:line:col
    needs: str = ""           # what the error text must contain (lowercase)
    fleet_exit: int = 1       # fleet reports a file that fails to load as a finding (exit 1)...


CASES: tuple[Case, ...] = (
    Case("alias-bomb", _write(_spec_bomb()), needs="alias"),
    Case("dev-zero", _dev_zero, positioned=False, needs="not a regular file"),
    Case("fifo", _fifo, positioned=False, needs="not a regular file"),
    Case("dir-as-file", _dir_as_file, positioned=False, needs="directory"),
    Case("huge-file", _huge_file, positioned=False, needs="larger than"),
    Case("deep-nesting", _deep, needs="nest"),
    Case("self-merge", _self_merge),
    Case("self-alias", _self_alias),
    Case("tag-bool-maybe", _write(good_spec().replace("env: dev}", "env: dev}\n  a: !!bool maybe", 1))),
    Case("tag-int-word", _write(good_spec(count="!!int three"))),
    Case("tag-float-list", _write(good_spec(count="!!float [1]"))),
    Case("tag-unknown", _write(good_spec(count="!!python/name:os.system 3"))),
    Case("count-true", _write(good_spec(count="true")), needs="whole number"),
    Case("binary-name", _write(good_spec(name="!!binary cmVk")), needs="binary"),
    Case("huge-value", _write(good_spec(name="X" * 4_000_000)), needs="characters"),
    Case("not-utf8", _write(b"\xff\xfe" + good_spec().encode("utf-16-le")), positioned=False, needs="utf-8"),
    # issue 25: YAML 1.2 core schema (yaml/yaml-spec@1b1a1be:spec/1.2.2/spec.md:6636-6646)
    Case("tag-int-underscore", _write(good_spec(count="!!int _1")), needs="!!int"),
    Case("tag-str-number", _write(good_spec(count="!!str 1_000")), needs="whole number"),
    # ...but a name the file system cannot even look up is the user's environment for every command
    Case("name-over-255-bytes", lambda d: d / ("n" * 300 + ".yaml"), positioned=False, needs="255 bytes",
         fleet_exit=2),
)


def command_lines(path: str) -> dict[str, list[str]]:
    """Every command that reads a spec, pointed at ``path``."""
    return {
        "validate": ["validate", path],
        "plan": ["plan", path, "--provider", "kubeadm"],
        "compare": ["compare", path, "--providers", "kubeadm"],
        "cost": ["cost", path, "--provider", "kubeadm"],
        "diff": ["diff", "--base", path, path, "--providers", "kubeadm"],
        "policy": ["policy", "check", path, "--provider", "kubeadm"],
        "fleet": ["fleet", path],
        "upgrade": ["upgrade", "plan", path, "--provider", "kubeadm"],
    }
