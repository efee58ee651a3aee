"""Console entry point and the ONE place where errors become exit codes.

0 ok · 1 the job ran and found a problem (policy violation, drift, budget exceeded) · 2 bad input or
usage, or the user's environment (full disk, `ulimit -f`, a name over 255 bytes, no temp directory:
kubefleet.errors.environment_error) · 70 an internal error (a kubefleet bug; KUBEFLEET_DEBUG=1 shows the
traceback and debug messages) · 130 interrupted.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from typer.core import TyperGroup

from kubefleet.errors import KubefleetError, environment_error

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


MAX_LINE = 2000  # characters of one error line; a 4 MB value is never echoed whole


def _bounded(text: str) -> str:
    return "\n".join(line if len(line) <= MAX_LINE else f"{line[:MAX_LINE]}… ({len(line)} characters)"
                     for line in text.splitlines())


def report(err: KubefleetError) -> None:
    """The error on stderr. Never wrapped (soft_wrap): CI logs are 160 columns wide and a wrapped
    ``file:line:col`` is neither greppable nor clickable."""
    from rich.markup import escape

    from kubefleet.cli.console import stderr

    console = stderr()
    prefix = "error" if err.exit_code == EXIT_USAGE else "problem"
    text = _bounded(err.render())
    first, _, rest = text.partition("\n")
    if _is_positioned(first):
        console.print(first, markup=False, soft_wrap=True)
    else:
        console.print(f"[bold red]{prefix}:[/] {escape(first)}", soft_wrap=True)
    if rest:
        console.print(rest, markup=False, soft_wrap=True)


def _quiet_broken_pipe() -> None:
    """The reader went away (`kubefleet compare | head -1`): what it wanted was printed. Point stdout at
    /dev/null so the interpreter's final flush cannot fail again, and exit 0 like other Unix tools."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _is_positioned(line: str) -> bool:
    """Positioned spec errors (file:line:col: ...) print as they are, greppable and clickable."""
    head = line.split(": ", 1)[0]
    parts = head.rsplit(":", 2)
    return len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit()


def exit_code_for(err: BaseException) -> int:
    if isinstance(err, KubefleetError):
        return err.exit_code
    if isinstance(err, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_INTERNAL


# Placeholders in --help, as kubectl and pulumi write them (`--as-of DATE`, `FILE...`), instead of typer's
# type names (`<str>`, `<list[Path]>`, `{files}...`; issue 25).
_METAVARS: dict[str, str] = {
    "as-of": "DATE", "by": "DATE", "base": "REF|FILE", "backend": "URL", "provider": "PROVIDER",
    "providers": "PROVIDERS", "cluster": "NAME", "stack": "NAME", "to": "MINOR", "title": "TEXT",
    "config": "FILE", "policy-config": "FILE", "policy-pack": "DIR", "manifests": "DIR", "path": "FILE",
    "files": "FILE", "file": "FILE", "paths": "PATH", "name": "NAME", "hours": "HOURS", "egress-gb": "GB",
    "jobs": "N", "fail-on": "RULE", "horizon": "DAYS",
}


def _metavar(param: Any) -> str | None:
    """The placeholder for one parameter (None: a flag, or typer's own is fine)."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    name = max(getattr(param, "opts", []) or [param.name or ""], key=len).lstrip("-").replace("_", "-")
    desc = getattr(param, "type_descriptor", None)
    if desc is not None and getattr(desc, "is_choice", False):
        return "|".join(str(getattr(c, "value", c)) for c in (desc.choices or ()))
    if name in _METAVARS:
        return _METAVARS[name]
    kind = param.bare_type() if hasattr(param, "bare_type") else ""
    if desc is not None and getattr(desc, "is_path", False):
        return "FILE"
    return {"int": "N", "float": "NUMBER", "Decimal": "AMOUNT"}.get(str(kind), name.upper())


def tidy_help(command: Any, seen: set[int] | None = None) -> None:
    """Give every option and argument under ``command`` a plain placeholder (once per process)."""
    seen = set() if seen is None else seen
    if id(command) in seen:
        return
    seen.add(id(command))
    for param in getattr(command, "params", []):
        if getattr(param, "metavar", None) is not None:
            continue
        metavar = _metavar(param)
        if metavar is None:
            continue
        if getattr(param, "param_type_name", "") == "argument":
            many = param.nargs != 1
            shown = metavar + ("..." if many else "")
            param.metavar = shown
            usage = shown if param.required else f"[{shown}]"
            param._usage_display_name = lambda usage=usage: usage  # instead of `{files}...`
            param.display_type_rich = lambda ctx=None: None  # instead of `FILE... <list[Path]>`
        else:
            param.metavar = metavar
    if _writes_a_report(command):
        command.params.append(_out_file_option())
    from kubefleet.cli.console import offer_yaml

    offer_yaml(command)  # -o yaml wherever -o json exists
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub, seen)


# --------------------------------------------------------------------------- --out-file

#: the running command's --out-file: target path, temporary file, its stream, and stdout before it
_OUT: dict[str, Any] = {}


def _writes_a_report(command: Any) -> bool:
    """Commands with an ``--output`` format choice (table/json/markdown/...) write a report to stdout."""
    if getattr(command, "commands", None) or any(p.name == "out_file" for p in getattr(command, "params", [])):
        return False
    for param in getattr(command, "params", []):
        desc = getattr(param, "type_descriptor", None)
        if param.name == "output" and desc is not None and getattr(desc, "is_choice", False):
            return True
    return False


def _open_out_file(value: Path | None) -> None:
    """Send stdout to a temporary file beside ``value``; :func:`_finish_out_file` puts it in place."""
    import tempfile

    if value is None:
        return
    target = Path(value)
    if target.is_dir():
        raise KubefleetError(f"--out-file {target} is a directory", hint="name a file, e.g. report.json")
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.",
                               suffix=".tmp")
    stream = io.TextIOWrapper(io.FileIO(fd, "w"), encoding="utf-8")
    _OUT.update(target=target, tmp=tmp, stream=stream, stdout=sys.stdout)
    sys.stdout = stream


def _finish_out_file(keep: bool) -> None:
    """The report replaces ``--out-file`` only when the command ran (exit 0, or 1: it found problems and
    reported them); otherwise the file is left as it was. Atomic: readers see the old or the new file."""
    if not _OUT:
        return
    state = dict(_OUT)
    _OUT.clear()
    sys.stdout = state["stdout"]
    try:
        state["stream"].close()
        if keep:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(state["tmp"], 0o666 & ~umask)  # as a shell redirect would create it
            os.replace(state["tmp"], state["target"])
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(state["tmp"])


def _out_file_option() -> Any:
    """``--out-file FILE``, made by typer like every other option of the command."""
    import typer

    helper = typer.Typer()

    @helper.command()
    def _report(out_file: Path | None = typer.Option(
            None, "--out-file", metavar="FILE", callback=_open_out_file, expose_value=False,
            help="Write the report to FILE instead of stdout; FILE is replaced only if the command runs.")) -> None:
        pass

    return next(p for p in typer.main.get_command(helper).params if p.name == "out_file")


class KubefleetGroup(TyperGroup):
    """Maps every KubefleetError to its exit code; never lets a traceback reach a user for a user mistake."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        if parent is None:
            from kubefleet.cli.console import reset_yaml

            reset_yaml()  # -o yaml is per invocation (CliRunner runs many in one process)
            try:
                tidy_help(self)
            except Exception as err:  # placeholders and --out-file are niceties: never a reason to fail
                if os.environ.get("KUBEFLEET_DEBUG") == "1":
                    raise
                logging.getLogger(__name__).debug("help placeholders not set: %r", err)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        import typer

        debug_logging()
        code = EXIT_INTERNAL
        try:
            result = super().invoke(ctx)
            code = EXIT_OK
            return result
        except KubefleetError as err:
            code = exit_code_for(err)
            if ctx.parent is None:
                _finish_out_file(keep=code == EXIT_PROBLEM)  # before the message: stdout is the terminal again
            report(err)
            raise typer.Exit(code) from None
        except typer.Exit as done:
            code = done.exit_code
            raise
        except OSError as err:
            if isinstance(err, BrokenPipeError):
                _quiet_broken_pipe()
                raise typer.Exit(EXIT_OK) from None
            problem = environment_error(err, writing=_stdout_failed(err))
            if problem is None:
                if os.environ.get("KUBEFLEET_DEBUG") == "1":
                    raise
                _internal(err)
                raise typer.Exit(EXIT_INTERNAL) from None
            _report_quietly(problem)
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _quiet_broken_pipe()
            raise typer.Exit(EXIT_OK) from None
        except typer.Abort:
            raise
        except Exception as err:
            if getattr(err, "exit_code", None) is not None and type(err).__module__.startswith("typer"):
                raise
            if os.environ.get("KUBEFLEET_DEBUG") == "1":
                raise
            _internal(err)
            raise typer.Exit(EXIT_INTERNAL) from None
        finally:
            if ctx.parent is None:  # the whole command is over: no progress line may follow it
                from kubefleet.cli.common import cancel_progress

                cancel_progress()
                _finish_out_file(keep=code in (EXIT_OK, EXIT_PROBLEM))


def _internal(err: BaseException) -> None:
    with contextlib.suppress(OSError):
        sys.stderr.write(
            f"internal error: {type(err).__name__}: {err}\n"
            "  this is a kubefleet bug; rerun with KUBEFLEET_DEBUG=1 for the traceback and report it\n"
        )


def _stdout_failed(err: OSError) -> str | None:
    """"standard output" when ``err`` was raised writing it: the innermost Python frame was writing to
    ``sys.stdout`` (a write to a file names no file on the error, so the stream is looked up there)."""
    if err.filename is not None:
        return None
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return None
    streams = {id(s) for s in (sys.stdout, getattr(sys.stdout, "buffer", None), sys.__stdout__) if s is not None}
    if tb.tb_frame.f_code.co_filename.endswith(os.path.join("cli", "console.py")):
        return "standard output"  # console.write: machine formats go to stdout only
    values = list(tb.tb_frame.f_locals.values())
    values += [getattr(v, attr, None) for v in values for attr in ("file", "_file")]
    return "standard output" if any(id(v) in streams for v in values) else None


def _report_quietly(err: KubefleetError) -> None:
    """Report ``err``; if stderr itself cannot be written (it is the full disk too) the exit code says it."""
    with contextlib.suppress(OSError):
        report(err)
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # what could not be written is dropped, not retried at exit


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (a test runner swaps it per command)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def debug_logging() -> None:
    """KUBEFLEET_DEBUG=1: kubefleet's debug messages (e.g. an ignored render-cache entry) on stderr."""
    if os.environ.get("KUBEFLEET_DEBUG") != "1":
        return
    log = logging.getLogger("kubefleet")
    if not any(getattr(h, "_kubefleet", False) for h in log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        handler._kubefleet = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.DEBUG)


class _FdWriter(io.RawIOBase):
    """Standard output's bytes, every one written or an ``OSError`` raised. Python's own buffered stdout
    drops the rest of a short write silently (past `ulimit -f` the kernel writes up to the limit and says
    so only on the next write): the output was cut and the exit code said 0."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            view = view[os.write(self._fd, view):]
        return total


def _checked_stdout() -> None:
    out = sys.stdout
    try:
        fd = out.fileno()
    except (AttributeError, ValueError, OSError):
        return
    sys.stdout = io.TextIOWrapper(_FdWriter(fd), encoding=out.encoding, errors=out.errors,
                                  line_buffering=bool(out.line_buffering))


def main() -> None:
    if "_KUBEFLEET_COMPLETE" in os.environ:  # a shell asks for completions (`kubefleet completion SHELL`)
        from typer._completion_classes import completion_init

        completion_init()
    if hasattr(signal, "SIGXFSZ"):  # past `ulimit -f` a write fails with EFBIG (said, exit 2), not a core dump
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _checked_stdout()
    from kubefleet.cli.app import app

    code: Any = EXIT_OK
    try:
        app(prog_name="kubefleet")
    except SystemExit as done:
        code = done.code
    except BrokenPipeError:  # raised outside a command (e.g. while click prints help)
        _quiet_broken_pipe()
        sys.exit(EXIT_OK)
    except OSError as err:  # outside a command too (help text to a full disk)
        problem = environment_error(err, writing=_stdout_failed(err))
        if problem is None:
            raise
        _report_quietly(problem)
        sys.exit(EXIT_USAGE)
    try:  # what is still buffered: a full disk or `ulimit -f` shows here, not as exit 120 at shutdown
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
    except OSError as err:
        _report_quietly(environment_error(err, writing="standard output")
                        or KubefleetError(f"cannot write standard output: {err.strerror or err}"))
        sys.exit(EXIT_USAGE)
    sys.exit(code)
