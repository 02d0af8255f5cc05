"""``python -m wiretrace``: the CLI, as the ``wiretrace`` command."""

from wiretrace.app.cli import main

main()
