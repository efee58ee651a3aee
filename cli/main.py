"""Console entry point and the ONE place where errors become exit codes.

0 ok · 1 the job ran and found a problem (policy violation, drift, budget exceeded) · 2 bad input or
usage · 70 an internal error (a kubefleet bug; KUBEFLEET_DEBUG=1 shows the traceback) · 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from typer.core import TyperGroup

from kubefleet.errors import KubefleetError

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


class KubefleetGroup(TyperGroup):
    """Maps every KubefleetError to its exit code; never lets a traceback reach a user for a user mistake."""

    def invoke(self, ctx: Any) -> Any:
        import typer

        try:
            return super().invoke(ctx)
        except KubefleetError as err:
            report(err)
            raise typer.Exit(exit_code_for(err)) from None
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _quiet_broken_pipe()
            raise typer.Exit(EXIT_OK) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as err:
            if getattr(err, "exit_code", None) is not None and type(err).__module__.startswith("typer"):
                raise
            if os.environ.get("KUBEFLEET_DEBUG") == "1":
                raise
            sys.stderr.write(
                f"internal error: {type(err).__name__}: {err}\n"
                "  this is a kubefleet bug; rerun with KUBEFLEET_DEBUG=1 for the traceback and report it\n"
            )
            raise typer.Exit(EXIT_INTERNAL) from None


def main() -> None:
    if "_KUBEFLEET_COMPLETE" in os.environ:  # a shell asks for completions (`kubefleet completion SHELL`)
        from typer._completion_classes import completion_init

        completion_init()
    from kubefleet.cli.app import app

    try:
        app(prog_name="kubefleet")
    except BrokenPipeError:  # raised outside a command (e.g. while click prints help)
        _quiet_broken_pipe()
        sys.exit(EXIT_OK)
