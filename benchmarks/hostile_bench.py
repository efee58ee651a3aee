"""Hostile input × command: exit code, wall-clock time and peak memory of each run (issue 14).

    .venv/bin/python benchmarks/hostile_bench.py [--src TREE] [--timeout 20] [--mem-mib 3072] [--only CASE,...]

Every run is a real subprocess (``python -c 'kubefleet main'``) under ``RLIMIT_AS`` and a timeout, so a
bomb cannot take the machine with it; peak memory is the child's ``ru_maxrss`` (from ``os.wait4``).
``--src`` runs another checkout of the tree (e.g. ``git archive`` of an older commit) to measure
"before". Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_cases import CASES, command_lines, good_spec  # noqa: E402

LAUNCH = ("import sys; sys.path.insert(0, {src!r}); sys.argv[0] = 'kubefleet'; "
          "from kubefleet.cli.main import main; main()")


def run(src: str, args: list[str], *, timeout: float, mem_mib: int, cwd: str, shell_tail: str = ""
        ) -> tuple[str, float, float, str]:
    """(exit, seconds, peak MiB, stderr tail) of one CLI run."""
    def limit() -> None:
        cap = mem_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()

    cmd = [sys.executable, "-c", LAUNCH.format(src=src), *args]
    env = dict(os.environ, KUBEFLEET_HOME=os.path.join(cwd, "home"), NO_COLOR="1", COLUMNS="160")
    env.pop("KUBEFLEET_DEBUG", None)
    start = time.monotonic()
    if shell_tail:
        proc = subprocess.Popen(shlex.join(cmd) + shell_tail, shell=True, executable="/bin/bash", cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit)
    else:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=limit)
    timed_out = False
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        _out, err = proc.communicate()
    seconds = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss / 1024  # monotone over all children: reset per run by forking a runner
    text = err.decode("utf-8", "replace")
    code = "timeout" if timed_out else str(proc.returncode)
    if "Traceback" in text:
        code += "+traceback"
    elif "internal error" in text:
        code += "+internal"
    elif "MemoryError" in text:
        code += "+MemoryError"
    tail = (text.strip().splitlines() or [""])[0][:110]
    return code, seconds, peak, tail


def measure(src: str, args: list[str], *, timeout: float, mem_mib: int, cwd: str, shell_tail: str = ""
            ) -> tuple[str, float, float, str]:
    """Run in a forked helper so RUSAGE_CHILDREN's max RSS is this run's alone."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        result = run(src, args, timeout=timeout, mem_mib=mem_mib, cwd=cwd, shell_tail=shell_tail)
        os.write(write, repr(result).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return eval(b"".join(chunks).decode())  # our own repr of a tuple of str/float


def option_cases(work: Path) -> list[tuple[str, str, list[str], str]]:
    good = work / "good.yaml"
    good.write_text(good_spec(), encoding="utf-8")
    g = str(good)
    git = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@b")
    for args in (["init", "-q"], ["add", "good.yaml"], ["commit", "-q", "-m", "x"]):  # the injection needs a repo
        subprocess.run(["git", *args], cwd=work, env=git, check=True, capture_output=True)
    return [
        ("hours-NaN", "compare", ["compare", g, "--providers", "kubeadm", "--hours", "NaN"], ""),
        ("egress-Infinity", "compare", ["compare", g, "--providers", "kubeadm", "--egress-gb", "Infinity"], ""),
        ("hours-sNaN", "cost", ["cost", g, "--provider", "kubeadm", "--hours", "sNaN"], ""),
        ("base-option-injection", "diff", ["diff", "--base=--output=injected:good.yaml", g], ""),
        ("pipe-closed", "compare | head -1", ["compare", g, "--providers", "kubeadm"], " | head -1; exit ${PIPESTATUS[0]}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", default=str(ROOT))
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--mem-mib", type=int, default=3072)
    parser.add_argument("--only", default="")
    parser.add_argument("--commands", default="")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    commands = set(filter(None, args.commands.split(",")))
    print(f"tree: {args.src}; timeout {args.timeout:g} s; RLIMIT_AS {args.mem_mib} MiB")
    print("| case | command | exit | seconds | peak MiB | first stderr line |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="kf-hostile-") as tmp:
        work = Path(tmp)
        for case in CASES:
            if only and case.name not in only:
                continue
            directory = work / case.name
            directory.mkdir()
            path = case.make(directory)
            for command, argv in command_lines(str(path)).items():
                if commands and command not in commands:
                    continue
                code, seconds, peak, tail = measure(args.src, argv, timeout=args.timeout, mem_mib=args.mem_mib,
                                                    cwd=str(directory))
                print(f"| {case.name} | {command} | {code} | {seconds:.2f} | {peak:.0f} | {tail.replace('|', '/')} |",
                      flush=True)
        for name, command, argv, tail_cmd in option_cases(work):
            if only and name not in only:
                continue
            code, seconds, peak, tail = measure(args.src, argv, timeout=args.timeout, mem_mib=args.mem_mib,
                                                cwd=str(work), shell_tail=tail_cmd)
            wrote = sorted(p.name for p in work.iterdir() if p.name.startswith("injected"))
            injected = f" (wrote ./{wrote[0]}!)" if wrote else ""
            print(f"| {name} | {command} | {code}{injected} | {seconds:.2f} | {peak:.0f} | {tail.replace('|', '/')} |",
                  flush=True)


if __name__ == "__main__":
    main()
