"""`python -m kubefleet.cli` runs the CLI."""

from kubefleet.cli.main import main

main()
