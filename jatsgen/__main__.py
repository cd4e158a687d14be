"""`python -m jatsgen` runs the CLI."""

from .cli import main

main()
