"""Two revisions of kubefleet side by side in one run (interleaved A B A B ...), for a fair before/after.

    .venv/bin/python benchmarks/regroup_bench.py --before REV_OR_DIR --after REV_OR_DIR [--reps N] [--out FILE]

A REV (``2c144f3``) is checked out with ``git worktree add --detach`` into a temporary directory (removed
with ``git worktree remove --force`` at the end); a DIR (``.``) is used as it is. Both sides run with this
interpreter (the project venv) and ``PYTHONPATH=<side's root>``, cwd = that root (so the examples are the
side's own); every child checks at exit that each ``kubefleet`` module it imported lives under that root and
exits 97 otherwise (the venv's editable install points at /work/main). Workloads are offline CLI commands
with ``KUBEFLEET_NO_CACHE=1``, a fresh temporary ``HOME`` per run and ``NO_COLOR=1``; the last one is the
warm path (a cached ``compare`` after an unmeasured warm-up in the same ``HOME``).

Per run: CPU seconds (user+sys) of the child and all its descendants, as the delta of
``getrusage(RUSAGE_CHILDREN)``; this process is made a child subreaper (``prctl``), so orphaned
descendants (``fleet``'s forkserver, which its parent never waits for) are re-parented here and reaped
after the run, and their CPU counts too. Wall seconds; peak RSS summed over the process tree (sampled from
/proc every 20 ms, benchmarks/procs.py). Before the measured reps, each workload runs once per side
unmeasured (bytecode compilation, page cache) and gives the reference stdout and exit code: every run's
stdout must be byte-identical across sides and reps, and exit codes equal. Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from procs import PeakSampler  # benchmarks/procs.py (this directory is on sys.path when run as a script)

REPO = Path(__file__).resolve().parent.parent
WRONG_TREE_EXIT = 97
PR_SET_CHILD_SUBREAPER = 36

# Runs in each child: the CLI as `python -m kubefleet.cli` would, plus an exit check that every kubefleet
# module (and namespace-package path) it imported is under REGROUP_BENCH_ROOT.
CHILD = r"""
import atexit, os, runpy, sys
_root = os.path.realpath(os.environ["REGROUP_BENCH_ROOT"])
def _strays():
    bad = []
    for name, mod in list(sys.modules.items()):
        if name != "kubefleet" and not name.startswith("kubefleet."):
            continue
        places = [getattr(mod, "__file__", None)] + list(getattr(mod, "__path__", None) or [])
        for place in places:
            if place and os.path.commonpath([_root, os.path.realpath(place)]) != _root:
                bad.append(f"{name}: {place}")
    return bad
def _check():
    bad = _strays()
    if bad:
        sys.stderr.write("regroup_bench: kubefleet imported from outside " + _root + ":\n  " + "\n  ".join(bad) + "\n")
        sys.stderr.flush()
        os._exit(__WRONG_TREE_EXIT__)
atexit.register(_check)
if sys.argv[1:] == ["--where"]:
    import importlib.resources, kubefleet, kubefleet.cli, kubefleet.providers
    print(kubefleet.__file__)
    print(kubefleet.cli.__file__)
    print(kubefleet.providers.__file__)
    print(importlib.resources.files("kubefleet.catalog.data").joinpath("gke.yaml"))
    sys.exit(0)
runpy.run_module("kubefleet.cli", run_name="__main__", alter_sys=True)
""".replace("__WRONG_TREE_EXIT__", str(WRONG_TREE_EXIT))

WORKLOADS: dict[str, list[str]] = {
    "compare sweet-spot (text, cold)": ["compare", "examples/sweet-spot.yaml"],
    "compare istio-microservices --output json": ["compare", "examples/istio-microservices.yaml", "--output", "json"],
    "plan sweet-spot --provider aks --output json": ["plan", "examples/sweet-spot.yaml", "--provider", "aks",
                                                     "--output", "json"],
    "plan gpu-inference --provider gke --output json": ["plan", "examples/gpu-inference.yaml", "--provider", "gke",
                                                        "--output", "json"],
    "fleet examples/ --by team": ["fleet", "examples/", "--by", "team"],
    "compare sweet-spot (text, warm cache)": ["compare", "examples/sweet-spot.yaml"],
}
WARM = "compare sweet-spot (text, warm cache)"
COLD_TWIN = {WARM: "compare sweet-spot (text, cold)"}  # the warm run must print what the cold one prints
MAY_FIND = {"fleet examples/ --by team"}  # exit 1 = findings; must still match between the sides


@dataclass
class Side:
    label: str  # "before" / "after"
    arg: str
    root: Path
    commit: str
    worktree: bool


@dataclass
class Run:
    cpu: float
    wall: float
    rss_mib: float
    code: int
    digest: str


@dataclass
class Cell:
    runs: list[Run] = field(default_factory=list)


def sh(args: list[str], cwd: Path | None = None) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def uptime() -> str:
    try:
        return sh(["uptime"])
    except (OSError, subprocess.CalledProcessError):
        one, five, fifteen = os.getloadavg()
        return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def make_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")


def reap_orphans(timeout: float = 60.0) -> None:
    """Wait for descendants that were re-parented to this (subreaper) process, so their CPU is counted."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                raise SystemExit("regroup_bench: a descendant of the CLI is still running 60 s after it exited")
            time.sleep(0.005)


def prepare(label: str, arg: str, scratch: Path) -> Side:
    path = Path(arg)
    if path.is_dir():
        root = path.resolve()
        try:
            commit = sh(["git", "rev-parse", "HEAD"], cwd=root)
            dirty = sh(["git", "--no-optional-locks", "status", "--porcelain"], cwd=root)
            commit += " + uncommitted changes" if dirty else " (clean)"
        except (OSError, subprocess.CalledProcessError):
            commit = "(not a git tree)"
        return Side(label, arg, root, commit, worktree=False)
    try:
        commit = sh(["git", "rev-parse", "--verify", "--quiet", f"{arg}^{{commit}}"], cwd=REPO)
    except subprocess.CalledProcessError:
        raise SystemExit(f"--{label} {arg!r}: neither a directory nor a git revision of {REPO}") from None
    root = scratch / f"{label}-{commit[:10]}"
    sh(["git", "worktree", "add", "--detach", str(root), commit], cwd=REPO)
    return Side(label, arg, root, commit, worktree=True)


def child_env(side: Side, home: Path, cache: bool) -> dict[str, str]:
    env = {**os.environ, "HOME": str(home), "NO_COLOR": "1", "PYTHONPATH": str(side.root),
           "REGROUP_BENCH_ROOT": str(side.root)}
    env.pop("KUBEFLEET_HOME", None)  # the default, ~/.kubefleet, is then inside the fresh HOME
    env.pop("PYTHONHOME", None)
    if cache:
        env.pop("KUBEFLEET_NO_CACHE", None)
    else:
        env["KUBEFLEET_NO_CACHE"] = "1"
    return env


def invoke(side: Side, args: list[str], home: Path, cache: bool, out: Path) -> Run:
    err_path = out.with_suffix(".err")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "wb") as stdout, open(err_path, "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=side.root, env=child_env(side, home, cache),
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        with PeakSampler(proc.pid, interval=0.02) as peak:
            code = proc.wait()
            wall = time.perf_counter() - start
    reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if code == WRONG_TREE_EXIT or code < 0 or code >= 2:
        tail = err_path.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{side.label} ({side.root}): kubefleet {' '.join(args)} exited {code}:\n{tail}")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return Run(cpu, wall, peak.peak_tree_mib, code, digest)


def run_workload(side: Side, name: str, scratch: Path, tag: str) -> Run:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    out = scratch / f"{tag}-{side.label}-{list(WORKLOADS).index(name)}.out"
    try:
        if name == WARM:
            invoke(side, WORKLOADS[name], home, True, out)  # fills the render cache; not measured
        return invoke(side, WORKLOADS[name], home, name == WARM, out)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def where(side: Side) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", CHILD, "--where"], cwd=side.root, capture_output=True, text=True,
                          env=child_env(side, Path(tempfile.gettempdir()), cache=False))
    if proc.returncode != 0:
        raise SystemExit(f"{side.label}: kubefleet is not imported from {side.root}:\n{proc.stderr}")
    return proc.stdout.split()


def diff_lines(a: Path, b: Path, limit: int = 5) -> str:
    la, lb = a.read_bytes().splitlines(), b.read_bytes().splitlines()
    shown = [f"line {i + 1}: {x!r} != {y!r}" for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y][:limit]
    if len(la) != len(lb):
        shown.append(f"{len(la)} lines vs {len(lb)} lines")
    return "; ".join(shown)


@contextlib.contextmanager
def sides(before: str, after: str, scratch: Path) -> Iterator[tuple[Side, Side]]:
    made: list[Side] = []
    try:
        for label, arg in (("before", before), ("after", after)):
            made.append(prepare(label, arg, scratch))
        yield made[0], made[1]
    finally:
        for side in made:
            if side.worktree:
                subprocess.run(["git", "worktree", "remove", "--force", str(side.root)], cwd=REPO, check=False)


def fmt_ratio(a: float, b: float) -> str:
    return f"{b / a:.2f}" if a > 0 else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="git revision (worktree) or directory (used as is)")
    parser.add_argument("--after", required=True, help="git revision (worktree) or directory (used as is)")
    parser.add_argument("--reps", type=int, default=5, help="measured runs per workload and side")
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    opts = parser.parse_args()
    if opts.reps < 1:
        parser.error("--reps must be at least 1")
    make_subreaper()
    started, load_start = datetime.datetime.now().astimezone(), uptime()
    problems: list[str] = []
    cells: dict[tuple[str, str], Cell] = {}
    with tempfile.TemporaryDirectory(prefix="kf-regroup-") as tmp, sides(opts.before, opts.after, Path(tmp)) as pair:
        scratch = Path(tmp)
        imported: dict[str, list[str]] = {}
        for side in pair:
            imported[side.label] = where(side)
            print(f"{side.label}: {side.commit} at {side.root}; imports {imported[side.label][0]}", file=sys.stderr)
        # Unmeasured warm-up per workload and side: reference stdout and exit code.
        ref: dict[tuple[str, str], Run] = {}
        for name in WORKLOADS:
            for side in pair:
                ref[side.label, name] = run_workload(side, name, scratch, "ref")
                print(f"warm-up {side.label:6} {name}: exit {ref[side.label, name].code}", file=sys.stderr)
            rb, ra = ref["before", name], ref["after", name]
            if ra.code != rb.code:
                problems.append(f"`{name}`: exit code {rb.code} before, {ra.code} after")
            if ra.code != 0 and name not in MAY_FIND:
                problems.append(f"`{name}`: exit code {ra.code}, expected 0")
            if ra.digest != rb.digest:
                idx = list(WORKLOADS).index(name)
                problems.append(f"`{name}`: stdout differs between before and after: "
                                + diff_lines(scratch / f"ref-before-{idx}.out", scratch / f"ref-after-{idx}.out"))
        for warm, cold in COLD_TWIN.items():
            for side in pair:
                if ref[side.label, warm].digest != ref[side.label, cold].digest:
                    problems.append(f"{side.label}: `{warm}` prints something else than `{cold}`")
        for rep in range(opts.reps):
            order = pair if rep % 2 == 0 else (pair[1], pair[0])
            for name in WORKLOADS:
                for side in order:
                    run = run_workload(side, name, scratch, "run")
                    cells.setdefault((side.label, name), Cell()).runs.append(run)
                    reference = ref[side.label, name]
                    if (run.digest, run.code) != (reference.digest, reference.code):
                        problems.append(f"{side.label} rep {rep + 1} `{name}`: stdout or exit code differs from its "
                                        "warm-up run (non-deterministic output?)")
                    print(f"rep {rep + 1}/{opts.reps} {side.label:6} {name}: cpu {run.cpu:.2f} s, wall {run.wall:.2f} s, "
                          f"{run.rss_mib:.0f} MiB, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
        before_side, after_side = pair
    load_end = uptime()
    exits = {name: ref["before", name].code for name in WORKLOADS}
    lines = [
        f"## Regroup benchmark: before vs after (`benchmarks/regroup_bench.py --reps {opts.reps}`)",
        "",
        f"- date: {started.isoformat(timespec='seconds')}; Python {sys.version.split()[0]} ({sys.executable}); "
        f"{len(os.sched_getaffinity(0))} CPU(s)",
        f"- before: `{before_side.arg}` = {before_side.commit}" + (" (worktree)" if before_side.worktree else ""),
        f"- after: `{after_side.arg}` = {after_side.commit}" + (" (worktree)" if after_side.worktree else ""),
        f"- kubefleet imported from: before `{imported['before'][0]}`, after `{imported['after'][0]}`",
        f"- uptime at start: `{load_start}`",
        f"- uptime at end: `{load_end}`",
        "- CPU = user+sys of the CLI and all its descendants (s); wall (s); RSS = peak summed over the process "
        "tree (MiB). Runs interleaved, order alternating per rep; fresh HOME per run, KUBEFLEET_NO_CACHE=1 "
        "except the warm-cache row (measured after an unmeasured warm-up in the same HOME).",
        "",
        "| workload | exit | CPU before: median (min) | CPU after: median (min) | after/before CPU | "
        "wall before | wall after | RSS before | RSS after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in WORKLOADS:
        b, a = cells["before", name].runs, cells["after", name].runs
        bc, ac = statistics.median(r.cpu for r in b), statistics.median(r.cpu for r in a)
        lines.append(
            f"| `kubefleet {' '.join(WORKLOADS[name])}` ({name}) | {exits[name]} "
            f"| {bc:.2f} ({min(r.cpu for r in b):.2f}) | {ac:.2f} ({min(r.cpu for r in a):.2f}) | {fmt_ratio(bc, ac)} "
            f"| {statistics.median(r.wall for r in b):.2f} | {statistics.median(r.wall for r in a):.2f} "
            f"| {max(r.rss_mib for r in b):.0f} | {max(r.rss_mib for r in a):.0f} |")
    lines.append("")
    if problems:
        lines.append("**Behaviour differences / problems:**")
        lines.extend(f"- {p}" for p in problems)
    else:
        lines.append("stdout byte-identical between before and after for every workload and run (the warm-cache "
                     "compare prints exactly what the cold one prints); exit codes equal.")
    report = "\n".join(lines) + "\n"
    print(report)
    if opts.out:
        opts.out.write_text(report)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
