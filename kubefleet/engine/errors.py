"""The ONE place where ``pulumi.automation`` failures become kubefleet errors.

Like Pulumi's own ``automation/errors.py``, which turns a failed CLI run into a typed error
(``StackNotFoundError``, ``ConcurrentUpdateError``, ...), this module turns those typed errors into
:class:`~kubefleet.errors.EngineError` messages that say what happened and what to do next. Every
text taken from the engine is scrubbed of secrets first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from kubefleet.engine.preflight import missing_cli_error
from kubefleet.engine.tracebacks import condense_tracebacks
from kubefleet.errors import EngineError, KubefleetError
from kubefleet.redact import scrub

#: provider -> how to give the engine credentials
CREDENTIAL_HINTS: Final[dict[str, str]] = {
    "gke": "run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS",
    "eks": "run `aws configure` / `aws sso login`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    "aks": "run `az login`, or set ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID",
    "kubeadm": "set KUBEFLEET_MANAGEMENT_KUBECONFIG (or spec.providers.kubeadm.managementCluster) to a Cluster API "
               "management cluster you may write to, and VSPHERE_USER/VSPHERE_PASSWORD for CAPV",
}

_CREDENTIAL_TEXT = re.compile(
    r"(could not find default credentials|google: could not find|NoCredentialProviders|"
    r"no valid credential sources|unable to locate credentials|failed to refresh cached credentials|"
    r"ExpiredToken|InvalidClientTokenId|UnrecognizedClientException|"
    r"DefaultAzureCredential|az login|AADSTS\d+|Please run 'az login'|"
    r"VSPHERE_USER|vsphere.*(user|password).*required|ServerFaultCode: Cannot complete login)",
    re.IGNORECASE,
)
_PASSPHRASE_TEXT = re.compile(r"(passphrase must be set|incorrect passphrase|failed to decrypt|"
                              r"constructing secrets manager)", re.IGNORECASE)
_LOGIN_TEXT = re.compile(r"(PULUMI_ACCESS_TOKEN|pulumi login|getting user info|401 Unauthorized|"
                         r"invalid access token|NoSuchBucket|AccessDenied|storage: bucket doesn't exist|"
                         r"ContainerNotFound|unable to open bucket)", re.IGNORECASE)
_PROTECTED_TEXT = re.compile(r"(resource .* cannot be deleted because it is protected|is protected)", re.IGNORECASE)
# A resource step failed (the engine got past the backend and was talking to the cloud): the engine's
# progress marks it "**creating failed**" and its Diagnostics section names the resource, e.g.
# "  aws:eks:Cluster (e2e):" (seen from pulumi v3.274.0, tests/test_e2e_engine.py).
_RESOURCE_FAILED = re.compile(
    r"(\*\*(creating|updating|deleting|replacing|reading|refreshing|importing) failed\*\*"
    r"|^\s+(?!pulumi:pulumi:Stack)[A-Za-z0-9-]+:[A-Za-z0-9/._-]+:[A-Za-z0-9]+ \(.+\):$)",
    re.MULTILINE,
)
_STREAM_PREFIX = re.compile(r"^(stdout|stderr):\s*")
_ERROR_LINE = re.compile(r"^\s*(error|panic)[:\s]", re.IGNORECASE)

MAX_DETAIL_LINES: Final = 12


@dataclass
class EngineContext:
    """What an operation was doing, to make its errors specific."""

    action: str  # "up", "preview", "refresh", "destroy", "outputs", "stacks", ...
    stack: str | None = None
    provider: str | None = None
    backend: str | None = None
    secrets: list[str] = field(default_factory=list, repr=False)

    def add_secrets(self, values: Iterable[str]) -> None:
        self.secrets.extend(v for v in values if v)


def engine_detail(text: str, secrets: Iterable[str] = ()) -> str:
    """The useful part of an engine failure (its ``error:`` lines, else its tail), secrets scrubbed."""
    clean = scrub(condense_tracebacks(text), secrets)
    lines: list[str] = []
    for ln in clean.splitlines():
        text = _STREAM_PREFIX.sub("", ln.strip())
        if text and not text.startswith("code:"):
            lines.append(text)
    picked = [ln.strip() for ln in lines if _ERROR_LINE.match(ln)]
    if not picked:
        picked = [ln.strip() for ln in lines[-MAX_DETAIL_LINES:]]
    seen: list[str] = []
    for ln in picked:
        if ln not in seen:
            seen.append(ln)
    return "\n".join(seen[:MAX_DETAIL_LINES])


def _where(ctx: EngineContext) -> str:
    return f"stack {ctx.stack!r}" if ctx.stack else "the stack"


def translate(err: BaseException, ctx: EngineContext) -> KubefleetError:
    """A kubefleet error for a failure of the Automation API (or the CLI under it)."""
    from pulumi.automation import errors as auto

    if isinstance(err, KubefleetError):
        return err
    if isinstance(err, FileNotFoundError):
        return missing_cli_error()
    if isinstance(err, auto.InvalidVersionError):
        return missing_cli_error(f"{scrub(str(err), ctx.secrets)} (upgrade it: `brew upgrade pulumi` or rerun the installer)")
    raw = str(err)
    detail = engine_detail(raw, ctx.secrets)
    where = _where(ctx)
    if isinstance(err, auto.ConcurrentUpdateError):
        return EngineError(
            f"{where} is locked: another update is in progress (or a crashed run left its lock)",
            hint=f"wait for the other run to finish; if none is running, clear the lock with "
            f"`pulumi cancel --stack {ctx.stack or '<stack>'}` against the same backend ({ctx.backend or 'see --backend'}), "
            "then retry",
        )
    if isinstance(err, auto.StackNotFoundError):
        return EngineError(
            f"{where} does not exist in {ctx.backend or 'the backend'}",
            hint="create it with `kubefleet up`, check --stack / --backend, or list stacks with `kubefleet stacks`",
        )
    if isinstance(err, auto.StackAlreadyExistsError):
        return EngineError(f"{where} already exists in {ctx.backend or 'the backend'}",
                           hint="choose another --stack name, or use the existing stack")
    if isinstance(err, auto.InlineSourceRuntimeError):
        original = _program_error(raw)
        if original is not None:  # our own refusal from inside the program: its message, hint and exit code
            return original
    if isinstance(err, auto.InlineSourceRuntimeError | auto.RuntimeError | auto.CompilationError):
        return EngineError(
            f"the kubefleet program failed while running {ctx.action} for {where}:\n{detail}",
            hint="`kubefleet plan` runs the same program offline and shows a clearer error; "
            "report it if the spec validates",
        )
    if isinstance(err, auto.CommandError):
        return _command_error(raw, detail, ctx)
    raise err  # not an engine failure: let the CLI report it as a bug


def _program_error(raw: str) -> KubefleetError | None:
    """The kubefleet error the inline program raised in this process whose message the engine reported."""
    from kubefleet.errors import PROGRAM_ERRORS

    for err in reversed(PROGRAM_ERRORS):
        if err.message and err.message in raw:
            return err
    return None


def _command_error(raw: str, detail: str, ctx: EngineContext) -> EngineError:
    where = _where(ctx)
    if _PASSPHRASE_TEXT.search(raw):
        return EngineError(
            f"the engine cannot decrypt the secrets of {where}: wrong or missing passphrase",
            hint="set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stack "
            "was created with; kubefleet's embedded backend keeps its own in $KUBEFLEET_HOME/passphrase",
        )
    if _PROTECTED_TEXT.search(raw):
        return EngineError(f"{where} holds protected resources, so the engine refused to delete them",
                           hint="production clusters are protected; `kubefleet destroy --force` unprotects them first")
    if _CREDENTIAL_TEXT.search(raw):
        hint = CREDENTIAL_HINTS.get(ctx.provider or "", "configure the cloud credentials in the environment")
        return EngineError(f"{ctx.action} for {where} failed: the cloud credentials are missing or expired:\n{detail}",
                           hint=hint)
    if _RESOURCE_FAILED.search(raw):
        # checked before the backend patterns: a cloud's "AccessDenied"/"NoSuchBucket" for a resource
        # is not a state backend problem (found with the real CLI: an EKS AccessDeniedException was
        # reported as "cannot reach the state backend")
        return EngineError(
            f"{ctx.action} for {where} failed: the cloud refused a resource operation:\n{detail}",
            hint="fix the cause above (a permission, a quota) and rerun; what was created is kept in the stack "
            "and the rerun continues from there",
        )
    if _LOGIN_TEXT.search(raw):
        return EngineError(
            f"cannot reach the state backend {ctx.backend or ''}".rstrip() + f":\n{detail}",
            hint="for Pulumi Cloud set PULUMI_ACCESS_TOKEN (or run `pulumi login`); for s3://, gs:// or "
            "azblob:// check that the bucket exists and your cloud credentials can read it",
        )
    return EngineError(f"{ctx.action} for {where} failed:\n{detail}" if detail else f"{ctx.action} for {where} failed",
                       hint="rerun with the same command after fixing the cause above; "
                       "`kubefleet refresh` reconciles state if resources changed outside kubefleet")


@contextmanager
def engine_errors(ctx: EngineContext) -> Iterator[EngineContext]:
    """Run Automation API calls; turn their failures into kubefleet errors (no engine traceback)."""
    from pulumi.automation import errors as auto

    try:
        yield ctx
    except KubefleetError:
        raise
    except (FileNotFoundError, auto.InvalidVersionError, auto.CommandError) as err:
        raise scrubbed(translate(err, ctx), ctx.secrets) from None


def scrubbed(err: KubefleetError, secrets: Iterable[str] = ()) -> KubefleetError:
    """``err`` with its message and hint scrubbed of ``secrets`` and every URL in them masked by structure
    (the context's backend URL is echoed in several messages)."""
    err.message = scrub(err.message, secrets)
    if err.hint:
        err.hint = scrub(err.hint, secrets)
    err.args = (err.message,)
    return err
