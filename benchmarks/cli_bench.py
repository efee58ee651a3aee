"""Wall time and peak memory of `kubefleet plan` (one provider) and `kubefleet compare` (all four), each
from a cold process, with a cold render cache and with a warm one.

    python benchmarks/cli_bench.py [--runs 3] [--spec examples/sweet-spot.yaml]

Each run is a fresh subprocess; "cold cache" runs use an empty KUBEFLEET_HOME, "warm cache" runs reuse
one that a previous run filled. Peak memory is sampled from /proc every 20 ms over the process tree (a
cold `compare` renders in forked worker processes): the sum over the tree and the largest process.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from procs import PeakSampler  # benchmarks/procs.py (this directory is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parent.parent
EXE = [sys.executable, "-m", "kubefleet.cli"]


def run(args: list[str], home: Path) -> tuple[float, float, float]:
    """(wall seconds, peak MiB summed over the process tree, peak MiB of the largest process)."""
    env = {**os.environ, "KUBEFLEET_HOME": str(home), "NO_COLOR": "1"}
    env.pop("KUBEFLEET_NO_CACHE", None)
    start = time.perf_counter()
    proc = subprocess.Popen([*EXE, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakSampler(proc.pid, interval=0.02) as peak:
        _, err = proc.communicate()
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"kubefleet {' '.join(args)} failed: {err.decode()}")
    return wall, peak.peak_tree_mib, peak.peak_process_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spec", default="examples/sweet-spot.yaml")
    opts = parser.parse_args()
    cases = {
        "plan --provider gke": ["plan", opts.spec, "--provider", "gke", "--output", "json"],
        "plan --provider eks": ["plan", opts.spec, "--provider", "eks", "--output", "json"],
        "compare (4 providers)": ["compare", opts.spec, "--output", "json"],
    }
    rows = []
    for label, args in cases.items():
        for mode in ("cold cache", "warm cache"):
            walls, trees, procs = [], [], []
            warm_home = Path(tempfile.mkdtemp(prefix="kf-bench-"))
            if mode == "warm cache":
                run(args, warm_home)
            for _ in range(opts.runs):
                home = warm_home if mode == "warm cache" else Path(tempfile.mkdtemp(prefix="kf-bench-"))
                wall, tree, biggest = run(args, home)
                walls.append(wall)
                trees.append(tree)
                procs.append(biggest)
                if mode == "cold cache":
                    shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(warm_home, ignore_errors=True)
            rows.append((label, mode, statistics.median(walls), max(walls), max(trees), max(procs)))
    print(f"| command ({opts.spec}) | render cache | median wall (s) | max wall (s) | peak RSS, process tree (MiB) "
          "| peak RSS, largest process (MiB) |")
    print("|---|---|---:|---:|---:|---:|")
    for label, mode, med, worst, tree, biggest in rows:
        print(f"| `kubefleet {label}` | {mode} | {med:.2f} | {worst:.2f} | {tree:.0f} | {biggest:.0f} |")


if __name__ == "__main__":
    main()
