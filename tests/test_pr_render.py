"""The PR comment as a reviewer sees it: Markdown rendered to HTML by a CommonMark renderer we did not write
(markdown-it-py, with GitHub's table extension and raw HTML on, as GitHub allows <details>), then drawn
by headless Chromium. Set KUBEFLEET_SCREENSHOT_DIR to keep the PNGs (docs/pr-workflow.md describes them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"

CSS = """
body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 880px; margin: 16px; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #eff1f3; padding: .1em .3em;
       border-radius: 4px; }
table { border-collapse: collapse; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 4px 10px; vertical-align: top; }
blockquote { border-left: .25em solid #9a6700; margin: 0; padding: 0 1em; color: #59636e; }
summary { cursor: pointer; font-weight: 600; }
sub { color: #59636e; }
"""


def render_html(markdown: str, *, open_details: bool = False) -> str:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    body = md.render(markdown)
    if open_details:
        body = body.replace("<details>", "<details open>")
    return f"<!doctype html><meta charset=utf-8><style>{CSS}</style><body>{body}</body>"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


@pytest.mark.parametrize("name", ["diff/mesh-on.md", "diff/provider-block.md", "pr/mixed.md"])
def test_the_comment_renders_to_tables_and_collapsed_sections(name: str) -> None:
    markdown = (GOLDEN / name).read_text(encoding="utf-8")
    parsed = _parse(render_html(markdown))
    # every pipe table of the Markdown became an HTML table (a broken row would fall back to a paragraph)
    assert parsed.tags.count("table") == len(re.findall(r"^\|---", markdown, re.MULTILINE))
    assert parsed.tags.count("details") == markdown.count("<details>")
    text = " ".join(parsed.text)
    assert "Monthly cost will" in text
    assert "|---" not in text and "| |" not in text  # no table syntax leaked into the text


def test_screenshot_of_the_comment(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    keep = os.environ.get("KUBEFLEET_SCREENSHOT_DIR")
    out_dir = Path(keep) if keep else tmp_path
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = (GOLDEN / "diff" / "mesh-on.md").read_text(encoding="utf-8")
    for label, opened in (("collapsed", False), ("open", True)):
        page = tmp_path / f"{label}.html"
        page.write_text(render_html(markdown, open_details=opened), encoding="utf-8")
        png = out_dir / f"pr-comment-{label}.png"
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--screenshot={png}", "--window-size=920,1400", page.as_uri()],
            capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a drawn page, not a blank one
