"""`kubefleet upgrade plan` over 50 specs: CPU seconds (user+sys of the CLI process and its children).

    .venv/bin/python benchmarks/upgrade_bench.py [--specs 50] [--reps 3]

The 50 specs are the examples' clusters re-versioned (1.31 .. 1.35, all channels) and spread over the four
providers, written to a temporary directory. Three workloads, each a fresh `python -m kubefleet.cli` process
with a temporary HOME and NO_COLOR=1, `--as-of 2026-12-06 --output json`:

* cold: ``KUBEFLEET_NO_CACHE=1`` — every cluster is rendered offline (its node-pool methods are read off the
  render) and planned;
* warm: the render cache filled by one unmeasured run first;
* planner only: the same 50 (spec, provider) pairs through ``plan_cluster`` in this process, without renders.

Prints a Markdown table (median of ``--reps``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PROVIDERS = ("gke", "eks", "aks", "kubeadm")
CHANNELS = ("rapid", "regular", "stable", "extended")


def _specs(root: Path, count: int) -> None:
    import yaml

    base = []
    for f in sorted((REPO / "examples").glob("*.yaml")):
        base.extend(d for d in yaml.safe_load_all(f.read_text()) if d)
    for i in range(count):
        doc = yaml.safe_load(yaml.safe_dump(base[i % len(base)]))
        doc["metadata"]["name"] = f"c{i:03d}-{doc['metadata']['name']}"[:40].rstrip("-")
        doc["spec"]["provider"] = PROVIDERS[i % len(PROVIDERS)]
        doc["spec"]["kubernetes"] = {"version": f"1.{31 + i % 5}", "channel": CHANNELS[(i // 4) % len(CHANNELS)]}
        (root / f"c{i:03d}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def _cpu_run(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--specs", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp) / "specs"
        specs.mkdir()
        _specs(specs, opts.specs)
        cmd = [sys.executable, "-m", "kubefleet.cli", "upgrade", "plan", str(specs), "--as-of", "2026-12-06",
               "--output", "json"]
        rows = []
        for label, extra in (("cold (KUBEFLEET_NO_CACHE=1)", {"KUBEFLEET_NO_CACHE": "1"}), ("warm (render cache)", {})):
            cpus, walls, codes = [], [], set()
            for _ in range(opts.reps):
                home = Path(tempfile.mkdtemp(dir=tmp))
                env = {**os.environ, "HOME": str(home), "NO_COLOR": "1", "PYTHONPATH": str(REPO), **extra}
                if "KUBEFLEET_NO_CACHE" not in extra:
                    _cpu_run(cmd, env)  # fill the cache, unmeasured
                cpu, wall, code = _cpu_run(cmd, env)
                cpus.append(cpu)
                walls.append(wall)
                codes.add(code)
            rows.append((label, statistics.median(cpus), statistics.median(walls), sorted(codes)))
        from kubefleet.catalog import load_catalog
        from kubefleet.fleet import discover
        from kubefleet.lifecycle.compat import load_compat
        from kubefleet.lifecycle.upgrade import plan_cluster

        loaded, _ = discover([specs])
        catalog, compat = load_catalog(), load_compat()
        cpus = []
        for _ in range(opts.reps):
            t0 = time.process_time()
            for s in loaded:
                plan_cluster(s.spec, s.spec.spec.provider or "gke", target="latest", as_of=date(2026, 12, 6),
                             catalog=catalog, compat=compat)
            cpus.append(time.process_time() - t0)
        rows.append(("planner only (in-process, no render)", statistics.median(cpus), float("nan"), [0]))
    print(f"`upgrade plan` over {opts.specs} specs ({len(loaded)} clusters), median of {opts.reps}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}\n")
    print("| workload | CPU s | wall s | exit codes |\n|---|---:|---:|---|")
    for label, cpu, wall, codes in rows:
        print(f"| {label} | {cpu:.3f} | {wall:.2f} | {codes} |")


if __name__ == "__main__":
    main()
