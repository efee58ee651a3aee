"""Report renderers (text, JSON, CSV, Markdown, HTML). No terminal code here."""
