"""Run the CLI or the engine of whichever version of wiretrace is first on the path.

The bench scripts time an earlier commit's ``src`` (``--before``) beside the working tree's in child
processes. The package layout moved in session 9 (``wiretrace.cli`` -> ``wiretrace.app.cli``,
``wiretrace.pipeline`` -> ``wiretrace.engine.pipeline``): these launchers import whichever the version
on the path has, so one script measures both sides.
"""

from __future__ import annotations

import sys

# ``python -c CLI_CODE run INPUT --out DIR ...``: the CLI of the version on the path.
CLI_CODE = r"""
import sys
try:
    from wiretrace.app.cli import main
except ImportError:  # the layout before session 9
    from wiretrace.cli import main
sys.argv[0] = "wiretrace"
sys.exit(main())
"""

# Put first in a child's code: ``pl`` is the pipeline module of the version on the path.
PIPELINE_IMPORT = r"""
try:
    from wiretrace.engine import pipeline as pl
except ImportError:  # the layout before session 9
    from wiretrace import pipeline as pl
"""


def cli_command(*argv: str) -> list[str]:
    """The command line that runs ``wiretrace ARGV...`` with this interpreter."""
    return [sys.executable, "-c", CLI_CODE, *argv]
