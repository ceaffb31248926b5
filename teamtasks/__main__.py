"""`python -m teamtasks`, the same as the `teamtasks` command."""

from teamtasks.cli import main

main()
