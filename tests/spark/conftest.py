"""One local[2] SparkSession for the whole test session, on the system Java.

The Spark tests skip, saying what to install, when pyspark or Java is missing: pyspark comes with the
lock (`make venv`) or `pip install 'wiretrace[spark]'`; Java with `apt-get install openjdk-17-jre-headless`
(.ci/run installs it on CI machines that lack it). With ``WIRETRACE_REQUIRE=spark`` (CI) they fail
instead (tests/requirements.py).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from tests.requirements import missing


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed: pip install 'wiretrace[spark]' (make venv installs it from the lock)"
    java = shutil.which("java")
    if java is None:
        return "no java on PATH: Spark needs Java 17 or later (apt-get install openjdk-17-jre-headless)"
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        return f"`java -version` failed ({err}): Spark needs a working Java 17 or later"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    why = spark_missing()
    if why:
        missing("spark", why)
    from wiretrace.engine.spark import SparkConfig, spark_session

    conf = (("spark.ui.enabled", "false"), ("spark.sql.shuffle.partitions", "4"), ("spark.driver.memory", "2g"))
    session = spark_session(SparkConfig(master="local[2]", conf=conf))
    yield session
    session.stop()
