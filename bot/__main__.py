"""`python -m bot` runs the `monthend` command line."""

from bot.cli import main

main()
