"""Peak memory of a process tree, sampled from /proc (Linux): shared by the benchmark scripts."""

from __future__ import annotations

import os
import threading


def tree_rss_kib(root: int) -> tuple[int, int]:
    """(sum, max) of VmRSS in KiB over ``root`` and its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                ppid, value = 0, 0
                for line in fh:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        value = int(line.split()[1])
            parents[int(entry)] = ppid
            rss[int(entry)] = value
        except (OSError, ValueError):
            continue
    tree = {root}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    values = [rss.get(pid, 0) for pid in tree]
    return sum(values), max(values, default=0)


class PeakSampler:
    """Samples a process tree every ``interval`` seconds until stopped; ``peak_tree_mib`` is the largest
    sum over the tree (a CLI and its worker processes), ``peak_process_mib`` the largest single process."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval = pid, interval
        self._peak = [0, 0]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            total, biggest = tree_rss_kib(self.pid)
            self._peak[0], self._peak[1] = max(self._peak[0], total), max(self._peak[1], biggest)
            self._done.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def peak_tree_mib(self) -> float:
        return self._peak[0] / 1024

    @property
    def peak_process_mib(self) -> float:
        return self._peak[1] / 1024


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``), so the
    CPU of worker processes whose parent exits without waiting for them (a multiprocessing forkserver and
    its children) still reaches ``getrusage(RUSAGE_CHILDREN)`` once :func:`reap_orphans` waits for them."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(36, 1, 0, 0, 0)) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans(timeout: float = 10.0) -> int:
    """Wait for descendants re-parented to this process (see :func:`become_subreaper`) for up to
    ``timeout`` seconds; returns how many were reaped."""
    import time

    reaped, deadline = 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped  # no children left at all
        if pid == 0:
            time.sleep(0.05)  # children left, none finished yet
            continue
        reaped += 1
    return reaped
