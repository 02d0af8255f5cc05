"""The script ``spark-submit`` runs: ``wiretrace run --engine spark`` with the same arguments.

    spark-submit [spark options] "$(python -c 'import wiretrace.engine.spark_jobs.submit as m; print(m.__file__)')" \\
        INPUT... --out DIR

wiretrace (with its dependencies and the model packages) must be importable on the driver and on
every executor: install ``wiretrace[spark]`` on the nodes, or ship a packed virtual environment with
``--archives``. See docs/scaling.md.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # spark-submit puts this file's folder first on sys.path; its module names must not shadow others.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    from wiretrace.engine.spark import main

    main()
