"""ruamel's own YAML emitter with two pure steps remembered, for the offline render's cloud-init text.

A kubeadm render emits about a dozen YAML documents per cluster (cloud-config and kubeadm documents per
node), and ruamel's pure-Python emitter spends most of that time on a few long scalars that recur: the
11 KB bootstrap script in every node's cloud-config, the shared CA files on every master. For a scalar
the emitter does two things that are pure functions of their inputs:

* ``analyze_scalar(text)`` reads only the text and four settings that are fixed for a dumper
  (the YAML version, ``allow_unicode``, ``unicode_supplementary``, ``allow_space_break``:
  ruamel.yaml 0.19.1, ruamel/yaml/emitter.py ``Emitter.analyze_scalar``);
* ``write_double_quoted(text, split)`` reads the text and the writer's position and settings (column,
  indent, whitespace/indention flags, ``root_context``, ``requested_indent``, ``no_newline``,
  ``open_ended``, best width and line break, ``allow_unicode``, ``encoding``) and changes only the
  stream and those same position fields (``column``, ``line``, ``whitespace``, ``indention``,
  ``open_ended``, ``no_newline``: ``write_double_quoted``, ``write_indicator``, ``write_indent``,
  ``write_line_break``).

:class:`MemoEmitter` remembers both for long scalars, keyed by every input listed, and replays the text
and the changed fields on a hit, so its output is byte-for-byte the unmodified emitter's
(tests/test_render_yaml.py checks that against ruamel's plain ``Emitter`` on every document the examples
render and on generated documents). The memory is bounded (:data:`MAX_ENTRIES`, then it starts over).
"""

from __future__ import annotations

import io
from typing import Any, Final

from ruamel.yaml.emitter import Emitter

#: scalars shorter than this are cheap to emit; remembering them would cost more than it saves
MIN_LENGTH: Final = 200
#: entries per table before it is emptied (a table holds at most this many scalars of a few KB each)
MAX_ENTRIES: Final = 512

_ANALYSES: dict[tuple[Any, ...], Any] = {}
_QUOTED: dict[tuple[Any, ...], tuple[str, int, int, Any, Any, Any, Any]] = {}


def _remember(table: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    if len(table) >= MAX_ENTRIES:
        table.clear()
    table[key] = value


class MemoEmitter(Emitter):
    """ruamel's ``Emitter``; long scalars' analysis and double-quoted text are computed once per process."""

    def analyze_scalar(self, scalar: Any) -> Any:
        if not isinstance(scalar, str) or len(scalar) < MIN_LENGTH:
            return super().analyze_scalar(scalar)
        key = (scalar, self.serializer.use_version, self.allow_unicode, self.unicode_supplementary,
               self.allow_space_break)
        found = _ANALYSES.get(key)
        if found is None:
            found = super().analyze_scalar(scalar)
            _remember(_ANALYSES, key, found)
        return found

    def write_double_quoted(self, text: Any, split: Any = True) -> None:
        if not isinstance(text, str) or len(text) < MIN_LENGTH or self.encoding:
            super().write_double_quoted(text, split)
            return
        key = (text, bool(split), self.root_context, self.requested_indent, self.indent, self.column,
               self.whitespace, self.indention, self.no_newline, self.open_ended, self.best_width,
               self.best_line_break, self.allow_unicode)
        found = _QUOTED.get(key)
        if found is None:
            stream, line = self.stream, self.line
            self.stream = buffer = io.StringIO()
            try:
                super().write_double_quoted(text, split)
            finally:
                self.stream = stream
            found = (buffer.getvalue(), self.line - line, self.column, self.whitespace, self.indention,
                     self.open_ended, self.no_newline)
            _remember(_QUOTED, key, found)
        else:
            _, lines, self.column, self.whitespace, self.indention, self.open_ended, self.no_newline = found
            self.line += lines
        self.stream.write(found[0])
