"""Helpers shared by commands: spec loading for one-FILE commands, provider choice, dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubefleet.errors import UsageError
from kubefleet.spec.loader import LoadedSpec

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.resolve.cluster import ProtectionRule
    from kubefleet.spec.model import ClusterSpec


def load_specs(file: Path, cluster: str | None = None) -> list[LoadedSpec]:
    """All clusters in FILE (or the one named by --cluster)."""
    from kubefleet.spec.loader import load_file

    specs = load_file(file)
    if cluster is None:
        return specs
    chosen = [s for s in specs if s.spec.name == cluster]
    if not chosen:
        names = ", ".join(s.spec.name for s in specs)
        raise UsageError(f"{file} has no cluster named {cluster!r}", hint=f"clusters in it: {names}")
    return chosen


def provider_for(loaded: LoadedSpec, provider: str | None) -> str:
    """--provider wins; else the spec's own `spec.provider`; else a usage error."""
    from kubefleet.providers import check_provider, provider_names

    if provider:
        return check_provider(provider)
    if loaded.spec.spec.provider:
        return loaded.spec.spec.provider
    raise UsageError(
        f"{loaded.where}: cluster {loaded.spec.name!r} names no provider",
        hint="pass --provider " + "|".join(provider_names()) + " or set `spec.provider` in the spec",
    )


#: Progress timers still waiting; cli/main.py cancels them when a command ends, so a line is never said
#: after (or into the output of) another command.
_PENDING_TIMERS: set[Any] = set()


def cancel_progress() -> None:
    for timer in list(_PENDING_TIMERS):
        timer.cancel()
    _PENDING_TIMERS.clear()


def _progress_after() -> float:
    """Seconds a small job may run silently (``KUBEFLEET_PROGRESS_AFTER``, default 1)."""
    import os

    try:
        return max(0.0, float(os.environ.get("KUBEFLEET_PROGRESS_AFTER", "1")))
    except ValueError:
        return 1.0


class Progress:
    """`what: i/N` on stderr at most every ``every`` seconds: from the start for jobs of more than
    ``threshold`` items, and for smaller ones once they have run for a second (a cold `compare` renders
    for seconds: issue 25), so quick runs and their goldens stay silent; stdout is untouched."""

    def __init__(self, what: str, total: int, *, threshold: int = 16, every: float = 2.0) -> None:
        import threading
        import time

        self.what, self.total, self.every = what, total, every
        self.enabled = total > threshold
        self._clock = time.monotonic
        self._last = self._clock()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if self.enabled:
            self._say(f"{what}: {total} to do")
        elif total > 0:
            self._timer = threading.Timer(_progress_after(), self._slow)
            self._timer.daemon = True
            _PENDING_TIMERS.add(self._timer)
            self._timer.start()

    def _slow(self) -> None:
        with self._lock:
            if self._timer is None:
                return
            _PENDING_TIMERS.discard(self._timer)
            self._timer = None
            self.enabled = True
            self._say(f"{self.what}: {self.total} to do")

    def _say(self, text: str) -> None:
        import contextlib
        import sys

        with contextlib.suppress(OSError, ValueError):  # stderr gone: progress is not worth an error
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def step(self, done: int) -> None:
        with self._lock:
            if done >= self.total and self._timer is not None:  # finished before anyone waited long
                self._timer.cancel()
                _PENDING_TIMERS.discard(self._timer)
                self._timer = None
            if self.enabled and (done == self.total or self._clock() - self._last >= self.every):
                self._last = self._clock()
                self._say(f"{self.what}: {done}/{self.total}")


def render_ahead(pairs: Sequence[tuple[ClusterSpec, str]], *, catalog: Catalog, what: str,
                 as_of: date | None = None) -> int:
    """Render the cache misses among ``pairs`` in worker processes (``kubefleet.render.cache.warm``) before a command
    reads them in order, saying on stderr what happens for jobs of more than 16 pairs (a plan line, then
    ``i/N`` every 2 s) and whenever the workers fail (the command then renders in-process). ``as_of``: the
    date the dated choices are made for, as the command will resolve them."""
    import sys

    from kubefleet.render.cache import warm

    state: dict[str, Progress] = {}

    def progress(done: int, total: int, workers: int) -> None:
        if done == 0:
            state["p"] = Progress(f"{what}: rendering offline in {workers} worker processes "
                                  "(cached for later runs)", total)
        else:
            state["p"].step(done)

    def notice(line: str) -> None:
        sys.stderr.write(f"warning: {line}\n")
        sys.stderr.flush()

    return warm(pairs, catalog=catalog, as_of=as_of, progress=progress, notice=notice)


def parse_number(flag: str, raw: str) -> Decimal:
    """A finite decimal number from an option (``NaN``, ``Infinity``, ``sNaN`` and ``1e999999`` are not)."""
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        raise UsageError(f"{flag} {shown!r} is not a number", hint="write a plain number, e.g. 730 or 100.5") from None
    if not value.is_finite() or abs(value.adjusted()) > 12:
        raise UsageError(f"{flag} {shown!r} is not a finite number in range",
                         hint="write a plain number, e.g. 730 or 100.5") from None
    return value


def parse_date(text: str | None, *, what: str = "--as-of") -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a date", hint="write YYYY-MM-DD, e.g. 2026-11-27") from None


def today() -> date:
    """The CLI's notion of 'today' (the cost model never reads the clock; the CLI passes dates in).

    ``KUBEFLEET_AS_OF=YYYY-MM-DD`` pins it, so a CI job (or a test suite) checks version support and
    prices as of a fixed date and gives the same answer next year."""
    import os

    pinned = os.environ.get("KUBEFLEET_AS_OF", "").strip()
    if pinned:
        return parse_date(pinned, what="KUBEFLEET_AS_OF") or date.today()
    return date.today()


def protection_rule(config: Path | None = None) -> ProtectionRule:
    """Which clusters are production: rule prod-deletion-protection's ``labels`` and ``pattern`` in the
    policy config (``config``, else ``$KUBEFLEET_POLICY_CONFIG``), else the built-in rule. The same rule
    sets Pulumi's ``protect`` on the cluster's resources, makes `destroy` refuse and drives the pack."""
    import os

    from kubefleet.resolve.cluster import DEFAULT_PROTECTION

    path = config or os.environ.get("KUBEFLEET_POLICY_CONFIG")
    if not path:
        return DEFAULT_PROTECTION
    from kubefleet.policies.config import load_policy_config

    return load_policy_config(Path(path)).protection()
