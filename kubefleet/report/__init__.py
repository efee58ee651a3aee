"""Report: the renderers that turn results into text, JSON, CSV, Markdown and HTML for people, CI and finance.

Owns the output formats of ``plan`` (:mod:`.plan`), ``compare`` (:mod:`.compare_out`), ``fleet``
(:mod:`.fleet_out`) and the pull-request comment (:mod:`.pr_markdown`). The last step of the pipeline: it
may import every layer below (fleet, compare, changes, cost, the graph) and nothing imports it but the CLI.
No terminal code here: ``typer`` and ``rich`` live in ``cli/`` only.
"""
