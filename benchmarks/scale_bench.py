"""Scale targets of issue 14 (measurements, not timed tests):

* a kubeadm ``compare`` of 100 → 1,000 → 10,000 nodes (target: 1,000 under 30 s, growth linear);
* 300 clusters in one file (``validate`` and ``compare --providers kubeadm``);
* ``policy check`` over 2,000 specs (one file each, in one directory).

    .venv/bin/python benchmarks/scale_bench.py [--nodes 100,1000,10000] [--clusters 300] [--specs 2000]
                                               [--only nodes,clusters,policy] [--modes off,cold,warm]

Each run is a real ``kubefleet`` subprocess with a fresh ``KUBEFLEET_HOME``, in up to three modes:

* ``off``: render cache off (``KUBEFLEET_NO_CACHE=1``): everything rendered in-process, one after another;
* ``cold``: the default (cache on) with an empty cache: the misses are rendered in worker processes
  (``kubefleet.render.cache.warm``, one per CPU), then read back in order;
* ``warm``: the same command again on the same home: every graph is a cache hit.

Peak memory is the sum of RSS over the process tree (benchmarks/procs.py); forked workers share their
parent's pages, so with workers this overstates what the machine really used.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.procs import PeakSampler  # noqa: E402
from tests.hostile_cases import GOOD  # noqa: E402

LAUNCH = "import sys; sys.path.insert(0, {src!r}); sys.argv[0] = 'kubefleet'; from kubefleet.cli.main import main; main()"
SRC = [str(ROOT)]  # --src: another checkout (e.g. `git archive` of an older commit) for "before"


def nodes_spec(nodes: int, name: str = "big") -> str:
    """One kubeadm cluster with ``nodes`` workers (pools of at most 1,000, the spec's per-pool limit)."""
    pools, left, index = [], nodes, 0
    while left > 0:
        count = min(1000, left)
        left -= count
        pools.append(f"    - name: p{index}\n      machine: {{vcpus: 4, memoryGiB: 16}}\n      count: {count}\n")
        index += 1
    return GOOD.split("  nodePools:")[0].format(name=name) + "  nodePools:\n" + "".join(pools)


def run(args: list[str], cwd: Path, mode: str = "off", home: str = "home") -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds of the process tree, peak MiB of the tree, exit code). CPU time is the
    number to compare on a shared machine: wall time there mostly measures the other tenants."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, KUBEFLEET_HOME=str(cwd / home), NO_COLOR="1")
    env.pop("KUBEFLEET_NO_CACHE", None)
    if mode == "off":
        env["KUBEFLEET_NO_CACHE"] = "1"
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH.format(src=SRC[0]), *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakSampler(proc.pid) as sampler:
        _out, err = proc.communicate()
    if proc.returncode not in (0, 1):
        print(f"  {args[0]} exited {proc.returncode}: {err.decode()[-300:]}", file=sys.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.monotonic() - start, cpu, sampler.peak_tree_mib, proc.returncode


def measure(label: str, args: list[str], work: Path, modes: list[str]) -> None:
    """One table row per mode; ``cold`` and ``warm`` share a home of their own (warm = the second run)."""
    home = f"home-{abs(hash(label))}"
    for mode in modes:
        if mode == "warm" and "cold" not in modes:
            run(args, work, "cold", home)  # fill the cache; only the second run is reported
        secs, cpu, peak, code = run(args, work, mode, home if mode != "off" else f"{home}-off")
        print(f"| {label} | {mode} | {secs:.1f} | {cpu:.1f} | {peak:.0f} | {code} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", default="100,1000,10000")
    parser.add_argument("--clusters", type=int, default=300)
    parser.add_argument("--specs", type=int, default=2000)
    parser.add_argument("--only", default="nodes,clusters,policy")
    parser.add_argument("--modes", default="off,cold,warm")
    parser.add_argument("--src", default=str(ROOT))
    opts = parser.parse_args()
    SRC[0] = opts.src
    only = set(opts.only.split(","))
    modes = [m for m in ("off", "cold", "warm") if m in opts.modes.split(",")]
    print("| what | cache | wall s | CPU s | peak MiB (tree) | exit |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="kf-scale-") as tmp:
        work = Path(tmp)
        if "nodes" in only:
            for n in (int(x) for x in opts.nodes.split(",") if x):
                path = work / f"n{n}.yaml"
                path.write_text(nodes_spec(n), encoding="utf-8")
                measure(f"compare kubeadm, {n:,} nodes", ["compare", str(path), "--providers", "kubeadm"], work, modes)
        if "clusters" in only:
            path = work / "many.yaml"
            path.write_text("---\n".join(nodes_spec(3, f"c{i}") for i in range(opts.clusters)), encoding="utf-8")
            measure(f"validate, {opts.clusters} clusters in one file", ["validate", str(path)], work, ["off"])
            measure(f"compare --providers kubeadm, {opts.clusters} clusters in one file",
                    ["compare", str(path), "--providers", "kubeadm"], work, modes)
        if "policy" in only:
            directory = work / "specs"
            directory.mkdir()
            for i in range(opts.specs):
                (directory / f"c{i:04d}.yaml").write_text(nodes_spec(3, f"c{i}"), encoding="utf-8")
            measure(f"policy check, {opts.specs:,} specs", ["policy", "check", str(directory), "--provider", "kubeadm"],
                    work, modes)


if __name__ == "__main__":
    main()
