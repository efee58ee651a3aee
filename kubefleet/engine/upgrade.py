"""`kubefleet upgrade apply`: a Kubernetes minor upgrade performed hop by hop through the engine.

The chain comes from :func:`kubefleet.lifecycle.skew.control_plane_hops` (each control-plane minor after
the deployed one up to the target: GKE, EKS and AKS take one minor at a time). Every hop is ONE engine
update of the same stack with the spec's ``kubernetes.version`` set to the hop's minor (the program is the
one `up` runs), and is gated before the next one starts:

1. the engine update succeeded and the stack now reports the hop's minor (its ``kubernetesVersion``
   output, read from the cloud: `up` refreshes first) — a channel that ignores the version (AKS
   auto-upgrade) or a cloud that quietly kept the old one stops the chain here;
2. the cluster answers through the stack's own kubeconfig (credentials from its exec plugin, as kubectl
   gets them): ``/readyz`` is ok, ``/version`` is the hop's minor, every node is Ready and no kubelet is
   newer than the API server (the Kubernetes version-skew policy);
3. ``--soak``: a bounded wait, then the readiness check again.

Progress is kept in ``$KUBEFLEET_HOME/upgrades/<digest>.json`` (stack, backend URL masked, hops, the
failure and what to do; never a credential or kubeconfig). A rerun resumes: hops at or below the stack's
ACTUAL version are skipped, a hop whose engine update went through but whose gate did not is gated again
without another update. Nothing here prints; the CLI (cli/upgrade_apply_cmd.py) reports through
:class:`Reporter`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from kubefleet.errors import KubefleetError, ProblemFound, UsageError
from kubefleet.redact import scrub
from kubefleet.safeio import kubefleet_home
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.engine.workspace import OnEvent, StackTarget

#: ``--soak`` may not exceed this: a soak is a wait in a terminal or a CI job, not a schedule
MAX_SOAK_S: Final = 12 * 3600
DEFAULT_READY_TIMEOUT_S: Final = 900.0
READY_POLL_S: Final = 5.0
EXEC_PLUGIN_TIMEOUT_S: Final = 60.0
HTTP_TIMEOUT_S: Final = 15.0

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


# ------------------------------------------------------------------ small parts


def parse_duration(text: str, *, option: str = "--soak") -> float:
    """``30s``, ``10m``, ``1.5h``, ``500ms`` or bare seconds -> seconds (at most :data:`MAX_SOAK_S`)."""
    match = _DURATION.match(text or "")
    if match is None:
        raise UsageError(f"{option} {text!r} is not a duration", hint="write e.g. 30s, 10m or 1h")
    seconds = float(match[1]) * _UNITS[match[2]]
    if seconds > MAX_SOAK_S:
        raise UsageError(f"{option} {text!r} is longer than {MAX_SOAK_S // 3600} h",
                         hint="soak in shorter steps: rerun `kubefleet upgrade apply` (it resumes) after watching the cluster")
    return seconds


def minor_of(version: str) -> str:
    """``"1.36.2-gke.100"`` / ``"v1.36.0"`` / ``"1.36"`` -> ``"1.36"`` (ValueError for anything else)."""
    from kubefleet.lifecycle.skew import minor_of as skew_minor

    try:
        return skew_minor(version)
    except KubefleetError:
        raise ValueError(f"{version!r} is not a Kubernetes version") from None


def _minor_key(minor: str) -> tuple[int, int]:
    major, _, rest = minor.partition(".")
    return int(major), int(rest)


def hop_spec(spec: ClusterSpec, minor: str) -> ClusterSpec:
    """The spec with ``kubernetes.version`` set to ``minor`` (everything else as written)."""
    kubernetes = spec.spec.kubernetes.model_copy(update={"version": minor})
    return spec.model_copy(update={"spec": spec.spec.model_copy(update={"kubernetes": kubernetes})})


def deployed_version(outputs: Mapping[str, Any]) -> str | None:
    """The Kubernetes version the stack last read from the cloud (its ``kubernetesVersion`` output)."""
    output = outputs.get("kubernetesVersion")
    value = getattr(output, "value", output)
    if value in (None, ""):
        return None
    return str(value)


# ------------------------------------------------------------------ the state file


@dataclass
class HopRecord:
    minor: str
    engine: str = "pending"  # pending | done | failed
    ready: str = "pending"
    soak: str = "pending"
    finished_at: str | None = None

    @property
    def done(self) -> bool:
        return self.engine == "done" and self.ready == "done" and self.soak == "done"


@dataclass
class UpgradeRun:
    """What ``upgrade apply`` has done to one stack (JSON under $KUBEFLEET_HOME/upgrades)."""

    stack: str
    provider: str
    cluster: str
    backend: str  # masked
    target: str
    started_from: str
    hops: list[HopRecord] = field(default_factory=list)
    status: str = "running"  # running | stopped | done
    failure: dict[str, str] | None = None
    updated_at: str = ""

    def hop(self, minor: str) -> HopRecord:
        for record in self.hops:
            if record.minor == minor:
                return record
        record = HopRecord(minor=minor)
        self.hops.append(record)
        self.hops.sort(key=lambda h: _minor_key(h.minor))
        return record

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {"apiVersion": "kubefleet.dev/v1", "kind": "UpgradeRun", **data}


def state_path(backend_url: str, stack: str, home: Path | None = None) -> Path:
    digest = hashlib.sha256(f"{backend_url}\x1f{stack}".encode()).hexdigest()[:16]
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", stack)[:80]
    return (home or kubefleet_home()) / "upgrades" / f"{safe}-{digest}.json"


def load_run(path: Path) -> UpgradeRun | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise UsageError(f"the upgrade progress file {path} cannot be read: {err}",
                         hint="delete it to start over; the stack's version decides which hops are done") from None
    if not isinstance(data, dict) or data.get("kind") != "UpgradeRun":
        raise UsageError(f"{path} is not an upgrade progress file", hint="delete it to start over")
    data = {k: v for k, v in data.items() if k not in ("apiVersion", "kind")}
    hops = [HopRecord(**h) for h in data.pop("hops", [])]
    return UpgradeRun(**data, hops=hops)


def save_run(path: Path, run: UpgradeRun) -> None:
    """Atomically, private (0700 directory, 0600 file)."""
    run.updated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upgrade-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(run.as_json(), handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# ------------------------------------------------------------------ talking to the cluster


class ClusterNotReady(Exception):
    """The readiness gate's finding (a message for people, no secrets)."""


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    cert_pem: bytes | None = None
    key_pem: bytes | None = None


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _current(doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(cluster, user) entries of the kubeconfig's current context."""
    def named(kind: str, name: str | None) -> dict[str, Any]:
        entries = doc.get(kind) or []
        for entry in entries:
            if name is None or entry.get("name") == name:
                return dict(entry.get(kind[:-1]) or {})
        raise ClusterNotReady(f"the stack's kubeconfig has no {kind[:-1]} {name!r}")

    context_name = doc.get("current-context")
    contexts = doc.get("contexts") or []
    context: dict[str, Any] = {}
    for entry in contexts:
        if context_name is None or entry.get("name") == context_name:
            context = dict(entry.get("context") or {})
            break
    if not context:
        raise ClusterNotReady("the stack's kubeconfig has no current context")
    return named("clusters", context.get("cluster")), named("users", context.get("user"))


def exec_credentials(spec: Mapping[str, Any], cluster: Mapping[str, Any]) -> Credentials:
    """Run a kubeconfig ``exec`` credential plugin as kubectl does (client.authentication.k8s.io):
    its ``command``/``args``/``env``, ``KUBERNETES_EXEC_INFO`` on its environment, an ExecCredential on
    its stdout. Nothing of what it prints is shown; a failure names the command and its install hint."""
    command = str(spec.get("command") or "")
    if not command:
        raise ClusterNotReady("the kubeconfig's exec credential plugin names no command")
    args = [str(a) for a in spec.get("args") or []]
    env = dict(os.environ)
    for item in spec.get("env") or []:
        env[str(item.get("name"))] = str(item.get("value"))
    api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1beta1")
    info: dict[str, Any] = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    if spec.get("provideClusterInfo"):
        info["spec"]["cluster"] = {"server": cluster.get("server"),
                                   "certificate-authority-data": cluster.get("certificate-authority-data")}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    hint = str(spec.get("installHint") or "").strip()
    try:
        done = subprocess.run([command, *args], env=env, capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL, timeout=EXEC_PLUGIN_TIMEOUT_S)
    except FileNotFoundError:
        raise ClusterNotReady(f"the kubeconfig's credential plugin `{command}` is not installed"
                              + (f" ({hint})" if hint else "")) from None
    except subprocess.TimeoutExpired:
        raise ClusterNotReady(f"the credential plugin `{command}` did not answer within "
                              f"{EXEC_PLUGIN_TIMEOUT_S:.0f} s") from None
    if done.returncode != 0:
        last = scrub((done.stderr.strip().splitlines() or [""])[-1][:300])
        raise ClusterNotReady(f"the credential plugin `{command}` failed (exit {done.returncode})"
                              + (f": {last}" if last else ""))
    try:
        status = json.loads(done.stdout).get("status") or {}
    except ValueError:
        raise ClusterNotReady(f"the credential plugin `{command}` did not print an ExecCredential") from None
    token = status.get("token")
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    if not token and not (cert and key):
        raise ClusterNotReady(f"the credential plugin `{command}` returned neither a token nor a client certificate")
    return Credentials(token=token or None, cert_pem=cert.encode() if cert else None,
                       key_pem=key.encode() if key else None)


class KubeClient:
    """Just enough of a Kubernetes API client for the readiness gate: GET with the kubeconfig's CA and
    credentials (a token, a client certificate or an exec plugin)."""

    def __init__(self, kubeconfig: str) -> None:
        from ruamel.yaml import YAML

        try:
            doc = YAML(typ="safe").load(kubeconfig)
        except Exception:
            raise ClusterNotReady("the stack's kubeconfig output is not a kubeconfig") from None
        if not isinstance(doc, dict):
            raise ClusterNotReady("the stack's kubeconfig output is not a kubeconfig")
        self._cluster, self._user = _current(doc)
        server = str(self._cluster.get("server") or "")
        if not server.startswith("https://"):
            raise ClusterNotReady(f"the kubeconfig's server {server!r} is not an https:// URL")
        self.server = server.rstrip("/")
        self._credentials: Credentials | None = None
        self._ssl: ssl.SSLContext | None = None

    def _context(self, creds: Credentials) -> ssl.SSLContext:
        """Built once: the cluster's CA alone when the kubeconfig names one (else the system's), and the
        client certificate if the credentials are one."""
        if self._ssl is not None:
            return self._ssl
        ca = self._cluster.get("certificate-authority-data")
        if ca:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the peer and its host name
            ctx.load_verify_locations(cadata=_b64(str(ca)).decode())
        else:
            ctx = ssl.create_default_context()
        if creds.cert_pem and creds.key_pem:
            with tempfile.TemporaryDirectory() as tmp:  # ssl loads client keys from files only
                cert, key = Path(tmp) / "c.pem", Path(tmp) / "k.pem"
                cert.write_bytes(creds.cert_pem)
                key.touch(mode=0o600)
                key.write_bytes(creds.key_pem)
                ctx.load_cert_chain(cert, key)
        self._ssl = ctx
        return ctx

    def credentials(self) -> Credentials:
        if self._credentials is None:
            user = self._user
            if user.get("exec"):
                self._credentials = exec_credentials(user["exec"], self._cluster)
            elif user.get("token"):
                self._credentials = Credentials(token=str(user["token"]))
            elif user.get("client-certificate-data") and user.get("client-key-data"):
                self._credentials = Credentials(cert_pem=_b64(user["client-certificate-data"]),
                                                key_pem=_b64(user["client-key-data"]))
            else:
                self._credentials = Credentials()
        return self._credentials

    def get(self, path: str) -> tuple[int, bytes]:
        creds = self.credentials()
        request = urllib.request.Request(self.server + path, headers={"Accept": "application/json"})
        if creds.token:
            request.add_header("Authorization", f"Bearer {creds.token}")
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S, context=self._context(creds)) as resp:
                return int(resp.status), resp.read(4 * 1024 * 1024)
        except urllib.error.HTTPError as err:
            return int(err.code), err.read(64 * 1024)
        except (urllib.error.URLError, OSError, ssl.SSLError) as err:
            reason = getattr(err, "reason", err)
            raise ClusterNotReady(f"{self.server} cannot be reached: {reason}") from None


def readiness_problems(client: KubeClient, provider: str, minor: str) -> list[str]:
    """What keeps the cluster from counting as upgraded to ``minor`` (empty: ready)."""
    status, body = client.get("/readyz")
    if status != 200:
        return [f"{client.server}/readyz answered {status}: {body[:200].decode(errors='replace').strip()}"]
    status, body = client.get("/version")
    if status != 200:
        return [f"{client.server}/version answered {status}"]
    git_version = str(json.loads(body).get("gitVersion", ""))
    try:
        api_minor = minor_of(git_version)
    except ValueError:
        return [f"the API server reports version {git_version!r}"]
    problems: list[str] = []
    if api_minor != minor:
        problems.append(f"the API server reports {git_version}, not {minor}")
    status, body = client.get("/api/v1/nodes")
    if status in (401, 403):
        return [*problems, f"listing nodes was refused ({status}): the kubeconfig's identity may not read nodes"]
    if status != 200:
        return [*problems, f"listing nodes answered {status}"]
    nodes = json.loads(body).get("items") or []
    if not nodes:
        problems.append("the cluster has no nodes")
    from kubefleet.lifecycle.skew import kubelet_allowed

    for node in nodes:
        name = str((node.get("metadata") or {}).get("name", "?"))
        conditions = {c.get("type"): c for c in (node.get("status") or {}).get("conditions") or []}
        ready = conditions.get("Ready") or {}
        if ready.get("status") != "True":
            problems.append(f"node {name} is not Ready ({ready.get('reason') or 'no Ready condition'})")
        kubelet = str(((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", ""))
        try:
            allowed = kubelet_allowed(provider, api_minor, minor_of(kubelet))
        except ValueError:
            continue
        if not allowed:  # the version-skew policy (and the provider's narrower rule), as the planner applies it
            problems.append(f"node {name} runs kubelet {kubelet}, outside the version skew {provider} allows "
                            f"under an API server on {api_minor}")
    return problems


def wait_ready(kubeconfig: str, provider: str, minor: str, *, timeout_s: float, poll_s: float = READY_POLL_S,
               sleep: Callable[[float], None] = time.sleep,
               monotonic: Callable[[], float] = time.monotonic) -> None:
    """Poll until the cluster is ready on ``minor``; :class:`ClusterNotReady` with the last findings."""
    client = KubeClient(kubeconfig)
    deadline = monotonic() + timeout_s
    while True:
        try:
            problems = readiness_problems(client, provider, minor)
        except ClusterNotReady as err:
            problems = [str(err)]
        if not problems:
            return
        if monotonic() + poll_s > deadline:
            raise ClusterNotReady("; ".join(problems[:6]) + (f" (+{len(problems) - 6} more)" if len(problems) > 6 else ""))
        sleep(poll_s)


# ------------------------------------------------------------------ the chain


class Reporter(Protocol):
    """How the chain tells the CLI what it does (nothing here prints)."""

    def plan(self, current: str, hops: list[str], skipped: list[str]) -> None: ...
    def hop_start(self, index: int, total: int, previous: str, minor: str) -> None: ...
    def engine_events(self) -> OnEvent: ...
    def engine_done(self, minor: str, reported: str) -> None: ...
    def ready(self, minor: str) -> None: ...
    def soaking(self, minor: str, seconds: float) -> None: ...
    def hop_done(self, minor: str) -> None: ...


@dataclass(frozen=True)
class ApplyOptions:
    target: str
    soak_s: float = 0.0
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S
    rerun: str = "kubefleet upgrade apply"  # the command line to resume with, for messages


@dataclass
class EngineOps:
    """The engine calls the chain makes (the real ones by default; see :func:`real_engine`)."""

    outputs: Callable[[StackTarget], Mapping[str, Any]]
    up: Callable[[StackTarget, OnEvent, bool], Mapping[str, Any]]  # (target, on_event, refresh) -> outputs


def real_engine() -> EngineOps:
    """The Automation API: the stack is selected (its config set) once and every hop runs its own inline
    program on it; the provider plugins are installed before the first update."""
    from kubefleet.cost.sources.cache import active_catalog
    from kubefleet.engine.workspace import _QUIET, open_stack, required_plugins
    from kubefleet.render.program import inline_program

    opened: dict[str, Any] = {}

    def stack_of(target: StackTarget) -> Any:
        if target.stack_name not in opened:
            opened[target.stack_name] = open_stack(target, create=False, install_plugins=False)
        return opened[target.stack_name]

    def outputs(target: StackTarget) -> Mapping[str, Any]:
        result: Mapping[str, Any] = stack_of(target).outputs()
        return result

    installed: set[str] = set()

    def up(target: StackTarget, on_event: OnEvent, refresh: bool) -> Mapping[str, Any]:
        stack = stack_of(target)
        if target.stack_name not in installed:
            for plugin, version in required_plugins(target.provider):
                stack.workspace.install_plugin(plugin, version)
            installed.add(target.stack_name)
        # the catalog the CLI priced with, as `up` (engine.workspace.open_stack); refresh as `up --refresh`
        program = inline_program(target.spec, target.provider, active_catalog())
        result = stack.up(on_event=on_event, show_secrets=False, refresh=refresh, program=program, **_QUIET)
        return dict(result.outputs)

    return EngineOps(outputs=outputs, up=up)


def _hop_target(target: StackTarget, minor: str) -> StackTarget:
    from dataclasses import replace

    return replace(target, spec=hop_spec(target.spec, minor))


def _engine_context(action: str, target: StackTarget) -> Any:
    from kubefleet.engine.backend import mask_url
    from kubefleet.engine.errors import EngineContext

    return EngineContext(action=action, stack=target.stack_name, provider=target.provider,
                         backend=mask_url(target.backend.url), secrets=list(target.secrets))


def current_version(target: StackTarget, ops: EngineOps) -> tuple[str, Mapping[str, Any]]:
    """The stack's deployed minor (UsageError when there is no stack to upgrade)."""
    from kubefleet.engine.errors import engine_errors

    with engine_errors(_engine_context("upgrade apply", target)):
        outputs = ops.outputs(target)
    version = deployed_version(outputs)
    if version is None:
        raise UsageError(f"stack {target.stack_name!r} has no kubernetesVersion output: it was never brought up",
                         hint=f"create it first: kubefleet up <spec> --provider {target.provider}")
    return minor_of(version), outputs


def _stop(run: UpgradeRun, path: Path, minor: str, stage: str, what: str, todo: str) -> ProblemFound:
    run.status = "stopped"
    run.failure = {"hop": minor, "stage": stage, "message": what, "next": todo}
    save_run(path, run)
    return ProblemFound(what, hint=f"{todo}; progress is kept in {path}")


def apply_chain(target: StackTarget, options: ApplyOptions, reporter: Reporter, *,
                ops: EngineOps | None = None, deployed: tuple[str, Mapping[str, Any]] | None = None,
                sleep: Callable[[float], None] = time.sleep,
                monotonic: Callable[[], float] = time.monotonic) -> UpgradeRun:
    """Upgrade the stack's cluster to ``options.target``, one minor per engine update; see the module doc."""
    from kubefleet.engine.backend import mask_url
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.outputs import kubeconfig_text
    from kubefleet.lifecycle.skew import control_plane_hops

    ops = ops or real_engine()
    current, outputs = deployed or current_version(target, ops)
    path = state_path(target.backend.url, target.stack_name)
    run = load_run(path)
    if run is None or run.target != options.target or run.provider != target.provider:
        run = UpgradeRun(stack=target.stack_name, provider=target.provider, cluster=target.spec.name,
                         backend=mask_url(target.backend.url), target=options.target, started_from=current)
    run.status, run.failure = "running", None
    hops = control_plane_hops(current, options.target)
    # a hop the stack already runs but whose gate never passed (a stopped run): gate it again, no update
    regate = [h for h in run.hops if h.minor == current and h.engine == "done" and not h.done]
    skipped = [h.minor for h in run.hops if _minor_key(h.minor) <= _minor_key(current) and h.minor not in
               [r.minor for r in regate]]
    reporter.plan(current, [r.minor for r in regate] + hops, skipped)
    save_run(path, run)

    chain = [(r.minor, False) for r in regate] + [(m, True) for m in hops]
    previous = current
    for index, (minor, needs_update) in enumerate(chain, start=1):
        hop_target = _hop_target(target, minor)
        record = run.hop(minor)
        reporter.hop_start(index, len(chain), previous if needs_update else minor, minor)
        if needs_update:
            ctx = _engine_context("upgrade apply", hop_target)
            try:
                with engine_errors(ctx):
                    # read the cloud first on the first update of this run, and after a soak long enough for
                    # someone (or an auto-upgrade) to have changed it; the hops in between follow a gated update
                    outputs = ops.up(hop_target, reporter.engine_events(), index == 1 or options.soak_s >= 60)
            except KubefleetError as err:
                record.engine = "failed"
                raise _stop(run, path, minor, "engine",
                            f"hop {index} of {len(chain)} ({previous} → {minor}) failed in the engine; the cluster "
                            f"stays on {previous}:\n{err.message}",
                            "fix the cause above (an operation already running on the cluster: wait for it to "
                            "finish; a permission or a quota: grant or raise it), then rerun "
                            f"`{options.rerun}`: it skips the hops done and resumes at {minor}") from None
            reported = deployed_version(outputs)
            if reported is None or minor_of(reported) != minor:
                record.engine = "failed"
                raise _stop(run, path, minor, "engine",
                            f"hop {index} of {len(chain)}: the engine update succeeded but the stack reports "
                            f"Kubernetes {reported or 'nothing'}, not {minor}",
                            "the cloud did not move the control plane: check that the cluster's upgrade channel "
                            "lets the spec set the version (AKS: `channel: none`), and that "
                            f"{minor} is offered in the region; then rerun `{options.rerun}`")
            record.engine = "done"
            save_run(path, run)
            reporter.engine_done(minor, reported)
        kubeconfig = kubeconfig_text(outputs) if outputs else None
        if kubeconfig is None:
            with engine_errors(_engine_context("upgrade apply", hop_target)):
                outputs = ops.outputs(hop_target)
            kubeconfig = kubeconfig_text(outputs)
        if kubeconfig is None:
            raise _stop(run, path, minor, "ready", f"stack {target.stack_name!r} has no kubeconfig output",
                        "the readiness gate needs it; rerun `kubefleet up` to restore the outputs, then "
                        f"`{options.rerun}`")
        for stage in ("ready", "soak"):
            if stage == "soak":
                if options.soak_s <= 0:  # no soak asked for: nothing to wait for or to check again
                    record.soak = "done"
                    continue
                reporter.soaking(minor, options.soak_s)
                sleep(options.soak_s)
            try:
                wait_ready(kubeconfig, target.provider, minor, timeout_s=options.ready_timeout_s, sleep=sleep, monotonic=monotonic)
            except ClusterNotReady as err:
                setattr(record, stage, "failed")
                when = "after the soak" if stage == "soak" else "after the update"
                finding = scrub(str(err), [*target.secrets, kubeconfig])
                raise _stop(run, path, minor, stage,
                            f"hop {index} of {len(chain)}: the cluster is on {minor} but not ready {when}: {finding}",
                            "look at the cluster (`kubefleet kubeconfig`, then `kubectl get nodes`, "
                            "`kubectl get events -A`); once it is healthy rerun "
                            f"`{options.rerun}`: it checks {minor} again and goes on") from None
            setattr(record, stage, "done")
            if stage == "ready":
                reporter.ready(minor)
            save_run(path, run)
        record.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        save_run(path, run)
        reporter.hop_done(minor)
        previous = minor
    run.status = "done"
    save_run(path, run)
    return run


# ------------------------------------------------------------------ dry run


@dataclass(frozen=True)
class HopPreview:
    index: int
    previous: str
    minor: str
    source: str  # "engine" (preview against the deployed stack) or "offline" (previous hop's program)
    changes: Any  # kubefleet.changes.model.ClusterChanges (engine) or kubefleet.changes.diff.ClusterDiff


def preview_chain(target: StackTarget, options: ApplyOptions, on_event: Callable[[], OnEvent], *,
                  current: str) -> list[HopPreview]:
    """``--dry-run``: the first hop previewed by the engine against the deployed stack; each later hop
    against the previous hop's program, both rendered offline by the same program under the SDK's mock
    monitor (the engine can only preview against what is deployed, and the earlier hops are not yet).
    Nothing is changed."""
    from kubefleet.changes.diff import diff_graphs
    from kubefleet.changes.model import ChangeCollector, ClusterChanges
    from kubefleet.cost.sources.cache import active_catalog
    from kubefleet.engine.errors import engine_errors
    from kubefleet.engine.progress import EventRouter
    from kubefleet.engine.workspace import open_stack, run_preview
    from kubefleet.lifecycle.skew import control_plane_hops
    from kubefleet.render.cache import cached_render
    from kubefleet.resolve.cluster import resolve

    hops = control_plane_hops(current, options.target)
    catalog = active_catalog()
    previews: list[HopPreview] = []
    previous = current
    for index, minor in enumerate(hops, start=1):
        hop_target = _hop_target(target, minor)
        if index == 1:
            collector = ChangeCollector()
            with engine_errors(_engine_context("upgrade apply --dry-run", hop_target)):
                stack = open_stack(hop_target)
                router = EventRouter(listeners=[collector, on_event()], secrets=hop_target.secrets)
                run_preview(stack, router)
            changes: Any = collector.result(target.spec.name, target.provider)
            previews.append(HopPreview(index, previous, minor, "engine", changes))
        else:
            old = cached_render(resolve(hop_spec(target.spec, previous), target.provider, catalog=catalog))
            new = cached_render(resolve(hop_target.spec, target.provider, catalog=catalog))
            diffs = diff_graphs(old, new)
            changes = ClusterChanges(target.spec.name, target.provider, tuple(d.change for d in diffs))
            previews.append(HopPreview(index, previous, minor, "offline", changes))
        previous = minor
    return previews
