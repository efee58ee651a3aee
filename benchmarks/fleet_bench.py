"""Benchmark ``kubefleet fleet`` over generated fleets: wall time and peak memory, cold and warm cache.

    .venv/bin/python benchmarks/fleet_bench.py --counts 100,300,1000

For each count, N varied specs (providers, regions, blueprints, teams, envs, versions; single- and
multi-document files in nested directories) are written to a temporary directory, then
``kubefleet fleet DIR --output json`` runs in a subprocess twice: with an empty kubefleet home (cold
render cache) and again with the same home (warm). Peak RSS is sampled from /proc every 50 ms over the
whole process tree (the CLI and its worker processes), summed, and also reported as the largest single
process. Prints a Markdown table (paste it into benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from procs import PeakSampler  # benchmarks/procs.py (this directory is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parent.parent
KUBEFLEET = [sys.executable, "-m", "kubefleet.cli"]

# Platform blueprints (what a platform team offers), as YAML fragments for spec.controlPlane/nodePools/...
BLUEPRINTS: dict[str, str] = {
    "dev-small": """  controlPlane: {availability: zonal, tier: free, replicas: 1}
  nodePools:
    - name: default
      machine: {vcpus: 2, memoryGiB: 8}
      count: 2
""",
    "web": """  controlPlane: {availability: regional, tier: standard, endpoint: private}
  nodePools:
    - name: general
      machine: {vcpus: 4, memoryGiB: 16}
      autoscaling: {min: 3, max: 9}
  network: {privateNodes: true}
""",
    "web-large": """  controlPlane: {availability: regional, tier: standard, endpoint: private}
  nodePools:
    - name: general
      machine: {vcpus: 8, memoryGiB: 32}
      autoscaling: {min: 6, max: 30}
    - name: ingress
      machine: {vcpus: 2, memoryGiB: 8}
      count: 2
""",
    "memory": """  controlPlane: {availability: regional, tier: standard}
  nodePools:
    - name: cache
      machine: {vcpus: 8, memoryGiB: 64}
      count: 4
""",
    "cpu": """  controlPlane: {availability: zonal, tier: standard}
  nodePools:
    - name: batch
      machine: {vcpus: 16, memoryGiB: 32}
      autoscaling: {min: 2, max: 20}
      spot: true
""",
    "mesh": """  controlPlane: {availability: regional, tier: standard, endpoint: private}
  nodePools:
    - name: services
      machine: {vcpus: 8, memoryGiB: 32}
      autoscaling: {min: 4, max: 16}
  addons:
    istio: {mode: self-managed, dataPlane: sidecar, expectedPods: 300}
""",
    "tenants": """  controlPlane: {availability: regional, tier: standard, endpoint: private}
  nodePools:
    - name: tenants
      machine: {vcpus: 8, memoryGiB: 32}
      autoscaling: {min: 3, max: 12}
  tenancy: {isolation: sandboxed}
""",
    "tiny-prod": """  controlPlane: {availability: regional, tier: standard}
  nodePools:
    - name: general
      machine: {vcpus: 2, memoryGiB: 8}
      count: 2
""",
}
PROVIDERS = ("gke", "eks", "aks", "kubeadm")
REGIONS = ("us-east", "us-west", "europe-west", "asia-southeast")
VERSIONS = ("1.33", "1.34", "1.35")
ENVS = ("prod", "staging", "dev")


def spec_text(rng: random.Random, i: int, teams: list[str]) -> str:
    team = rng.choice(teams)
    env = rng.choice(ENVS)
    blueprint = "dev-small" if env == "dev" and rng.random() < 0.6 else rng.choice(list(BLUEPRINTS))
    provider = rng.choice(PROVIDERS)
    region = "us-east" if provider == "eks" and rng.random() < 0.8 else rng.choice(REGIONS)
    labels = [f"team: {team}", f"env: {env}"]
    if rng.random() > 0.05:
        labels.append(f"owner: {team}-lead")
    if rng.random() > 0.08:
        labels.append(f"cost-center: cc-{1000 + teams.index(team)}")
    body = BLUEPRINTS[blueprint]
    if provider != "kubeadm":
        body = body.replace(", replicas: 1", "")
    return (f"apiVersion: kubefleet.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: {team}-{blueprint}-{i}\n"
            f"  labels: {{{', '.join(labels)}}}\nspec:\n  provider: {provider}\n"
            f"  kubernetes: {{version: \"{rng.choice(VERSIONS)}\"}}\n  region: {region}\n{body}")


def generate(directory: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    teams = [f"team-{n:02d}" for n in range(max(4, count // 12))]
    i = 0
    while i < count:
        docs = min(count - i, rng.choice((1, 1, 1, 2, 3)))  # some multi-document files
        sub = directory / f"bu-{i % 7}" / f"group-{i % 5}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"clusters-{i}.yaml").write_text("---\n".join(spec_text(rng, i + d, teams) for d in range(docs)))
        i += docs


@dataclass
class Run:
    count: int
    cache: str
    seconds: float
    peak_tree_mib: float
    peak_process_mib: float
    clusters: int
    twins: int
    total: str


def run_fleet(directory: Path, home: Path, count: int, cache: str, extra: list[str]) -> Run:
    env = {**os.environ, "KUBEFLEET_HOME": str(home), "NO_COLOR": "1"}
    env.pop("KUBEFLEET_NO_CACHE", None)
    start = time.perf_counter()
    proc = subprocess.Popen([*KUBEFLEET, "fleet", str(directory), "--output", "json", "--as-of", "2026-11-27", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    with PeakSampler(proc.pid) as peak:
        out, err = proc.communicate()
        seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"kubefleet fleet failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    data = json.loads(out)
    return Run(count, cache, seconds, peak.peak_tree_mib, peak.peak_process_mib, data["total"]["clusters"], data["price_twins"],
               data["total"]["monthly"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="100,300,1000", help="comma-separated fleet sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--extra", default="", help="extra `kubefleet fleet` arguments, e.g. '--no-compare'")
    args = parser.parse_args()
    extra = args.extra.split() if args.extra else []
    runs: list[Run] = []
    for count in (int(c) for c in args.counts.split(",")):
        with tempfile.TemporaryDirectory(prefix="kf-fleet-bench-") as tmp:
            specs, home = Path(tmp) / "specs", Path(tmp) / "home"
            generate(specs, count, args.seed)
            for cache in ("cold", "warm"):
                run = run_fleet(specs, home, count, cache, extra)
                runs.append(run)
                print(f"{count:>5} {cache}: {run.seconds:7.1f} s, tree {run.peak_tree_mib:6.0f} MiB, "
                      f"largest process {run.peak_process_mib:5.0f} MiB, {run.twins} price twins", file=sys.stderr)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"\n`kubefleet fleet DIR --output json {' '.join(extra)}`".rstrip() + f" on {cpus} CPU(s), Python "
          f"{sys.version.split()[0]}\n")
    print("| clusters | cache | wall time | peak RSS, process tree | peak RSS, largest process | price twins | "
          "fleet monthly (USD) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in runs:
        print(f"| {r.count} | {r.cache} | {r.seconds:.1f} s | {r.peak_tree_mib:.0f} MiB | {r.peak_process_mib:.0f} MiB | "
              f"{r.twins} | {r.total} |")


if __name__ == "__main__":
    main()
