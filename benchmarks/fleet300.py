"""The 300-spec scale target of issue 25: ``fleet`` and ``policy check --provider all`` over a directory of
300 varied specs (4 providers, 3 regions, 1–20 nodes per pool, about 200 distinct shapes).

    .venv/bin/python benchmarks/fleet300.py [--count 300] [--seed 25] [--only fleet,policy] [--src TREE]...

Every run is a real ``kubefleet`` subprocess on a fresh ``KUBEFLEET_HOME`` (cold: empty render cache), then
the same command again on the same home (warm). CPU is user+system of the process and all its descendants
(``resource.getrusage(RUSAGE_CHILDREN)`` around each run; this script makes itself the subreaper of
the CLI's descendants, so workers a forkserver started are counted too), peak memory the summed RSS of the process tree
(benchmarks/procs.py). ``--src`` may be given several times: each tree (e.g. a ``git worktree`` of an older
commit) is measured on the same generated directory, one after another per command, so "before" and
"after" stand side by side under the same load. Prints a Markdown table for benchmarks/RESULTS.md.

Targets (issue 25; a quiet 2-core machine): cold ``fleet`` within 2 minutes wall, warm under 10 s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from procs import (  # benchmarks/procs.py (this directory is on sys.path when run as a script)
    PeakSampler,
    become_subreaper,
    reap_orphans,
)

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = ("gke", "eks", "aks", "kubeadm")
REGIONS = ("us-east", "europe-west", "asia-southeast")
MACHINES = ("{vcpus: 2, memoryGiB: 8}", "{vcpus: 4, memoryGiB: 16}", "{vcpus: 8, memoryGiB: 32}",
            "{vcpus: 16, memoryGiB: 64}", "{vcpus: 8, memoryGiB: 64}", "{vcpus: 4, memoryGiB: 8}")
TEAMS = tuple(f"team-{n:02d}" for n in range(25))
ENVS = ("prod", "staging", "dev")


def _pool(rng: random.Random, name: str) -> str:
    nodes = rng.randint(1, 20)
    size = (f"autoscaling: {{min: {nodes}, max: {min(nodes * 2, 40)}}}" if rng.random() < 0.5
            else f"count: {nodes}")
    spot = "\n      spot: true" if rng.random() < 0.15 else ""
    return f"    - name: {name}\n      machine: {rng.choice(MACHINES)}\n      {size}{spot}\n"


def shape(rng: random.Random) -> str:
    """One cluster shape: provider, region, version, control plane and one to three pools."""
    provider = rng.choice(PROVIDERS)
    zonal = rng.random() < 0.3
    plane = ("{availability: zonal, tier: standard}" if zonal
             else "{availability: regional, tier: standard, endpoint: private}")
    if provider == "kubeadm":
        plane = "{availability: zonal, tier: standard, replicas: 1}" if zonal else "{availability: regional, tier: standard, replicas: 3}"
    pools = "".join(_pool(rng, name) for name in ("general", "batch", "memory")[: rng.choice((1, 1, 2, 3))])
    # 1.35: offered on every provider on the benchmark's --as-of (2026-12-06), so that `policy check --provider
    # all` renders every spec everywhere (kubeadm's pinned add-ons stop at 1.35; GKE's channels offer 1.35)
    version = "1.35"
    return (f"spec:\n  provider: {provider}\n  kubernetes: {{version: \"{version}\"}}\n"
            f"  region: {rng.choice(REGIONS)}\n  controlPlane: {plane}\n  nodePools:\n{pools}")


def generate(directory: Path, count: int = 300, seed: int = 25, shapes: int = 200) -> int:
    """Write ``count`` specs into nested directories (some files hold several documents); about ``shapes``
    distinct shapes, each cluster with its own name, team and environment. Returns the distinct shapes used."""
    rng = random.Random(seed)
    catalogue = [shape(rng) for _ in range(shapes)]
    used: set[int] = set()
    docs: list[str] = []
    for i in range(count):
        pick = i if i < shapes else rng.randrange(shapes)  # every shape once, then repeats
        used.add(pick)
        team, env = rng.choice(TEAMS), rng.choice(ENVS)
        docs.append(f"apiVersion: kubefleet.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: {team}-{env}-{i:03d}\n"
                    f"  labels: {{team: {team}, env: {env}, owner: {team}-lead, cost-center: cc-{1000 + i % 40}}}\n"
                    + catalogue[pick])
    i = 0
    while i < count:
        n = min(count - i, rng.choice((1, 1, 1, 2, 3)))
        sub = directory / f"bu-{i % 5}" / f"region-{i % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"clusters-{i:03d}.yaml").write_text("---\n".join(docs[i:i + n]))
        i += n
    return len(used)


@dataclass
class Run:
    src: str
    what: str
    cache: str
    exit: int
    wall: float
    cpu: float
    peak_mib: float


LAUNCH = ("import sys; sys.path.insert(0, {src!r}); sys.argv[0] = 'kubefleet'; "
          "from kubefleet.cli.main import main; main()")


def run(src: str, args: list[str], home: Path, what: str, cache: str) -> Run:
    env = {**os.environ, "KUBEFLEET_HOME": str(home), "NO_COLOR": "1", "PYTHONPATH": src}
    env.pop("KUBEFLEET_NO_CACHE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH.format(src=src), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=src)
    with PeakSampler(proc.pid) as peak:
        _, err = proc.communicate()
    wall = time.perf_counter() - start
    reap_orphans()  # worker processes the CLI left behind (a forkserver's), so their CPU is counted
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{what} failed ({proc.returncode}) in {src}:\n{err.decode()[-3000:]}")
    return Run(src, what, cache, proc.returncode, wall, cpu, peak.peak_tree_mib)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--shapes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--only", default="fleet,policy")
    parser.add_argument("--src", action="append", help="a kubefleet tree to measure (repeatable; default: this one)")
    args = parser.parse_args()
    sources = args.src or [str(ROOT)]
    if not become_subreaper():
        print("warning: not a subreaper; CPU of orphaned worker processes is not counted", file=sys.stderr)
    commands = {
        "fleet": ["fleet", "{dir}", "--output", "json", "--as-of", "2026-12-06"],
        "policy": ["policy", "check", "{dir}", "--provider", "all", "--output", "json", "--as-of", "2026-12-06"],
    }
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="kf-fleet300-") as tmp:
        specs = Path(tmp) / "specs"
        used = generate(specs, args.count, args.seed, args.shapes)
        print(f"{args.count} specs, {used} distinct shapes, in {specs}", file=sys.stderr)
        for what in args.only.split(","):
            argv = [a.replace("{dir}", str(specs)) for a in commands[what]]
            for i, src in enumerate(sources):
                home = Path(tmp) / f"home-{what}-{i}"
                for cache in ("cold", "warm"):
                    r = run(src, argv, home, what, cache)
                    runs.append(r)
                    print(f"{src} {what} {cache}: exit {r.exit}, {r.wall:.1f} s wall, {r.cpu:.1f} s CPU, "
                          f"{r.peak_mib:.0f} MiB", file=sys.stderr)
    load = os.getloadavg()[0]
    print(f"\n{args.count} specs ({args.shapes} shapes drawn, seed {args.seed}), {len(os.sched_getaffinity(0))} CPUs, "
          f"Python {sys.version.split()[0]}, load at the end {load:.1f}\n")
    print("| tree | command | cache | exit | wall s | CPU s | peak MiB |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in runs:
        print(f"| {r.src} | {r.what} | {r.cache} | {r.exit} | {r.wall:.1f} | {r.cpu:.1f} | {r.peak_mib:.0f} |")


if __name__ == "__main__":
    main()
