"""The script ``spark-submit`` runs: ``wiretrace run --engine spark`` with the same arguments.

    spark-submit [spark options] "$(python -c 'import wiretrace.app.submit as m; print(m.__file__)')" \\
        INPUT... --out DIR

wiretrace (with its dependencies and the model packages) must be importable on the driver and on
every executor: install ``wiretrace[spark]`` on the nodes, or ship a packed virtual environment with
``--archives``. See docs/scaling.md.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any


def main(argv: Sequence[str] | None = None) -> Any:
    """``spark-submit .../wiretrace/app/submit.py INPUT... --out DIR``: ``wiretrace run --engine spark``."""
    from wiretrace.app.cli import app

    args = list(sys.argv[1:] if argv is None else argv)
    return app(["run", "--engine", "spark", *args], prog_name="wiretrace", standalone_mode=True)


if __name__ == "__main__":
    # spark-submit puts this file's folder first on sys.path; its module names must not shadow others.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    main()
