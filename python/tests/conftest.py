"""Shared fixtures: the repository root, the command-line binary the results are compared
with (``SPOOR_BIN``, else ``target/debug/spoor`` or ``target/release/spoor``), and a Spark
session in local mode with two workers (skipped when PySpark or Java is missing, unless
``SPOOR_REQUIRE_SPARK=1``, as in CI)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _binary() -> Path:
    given = os.environ.get("SPOOR_BIN")
    if given:
        return Path(given)
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "spoor"
        if p.exists():
            return p
    pytest.skip("no spoor binary: build it with `cargo build` or set SPOOR_BIN")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli():
    """Runs the command line from the repository root; returns (stdout, stderr, code)."""
    binary = _binary()

    def run(*args: str, check: bool = True):
        out = subprocess.run([str(binary), *args], cwd=ROOT, capture_output=True)
        if check and out.returncode not in (0, 1):
            raise AssertionError(f"spoor {' '.join(args)}: exit {out.returncode}: {out.stderr.decode()}")
        return out.stdout.decode(), out.stderr.decode(), out.returncode

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    def run(*args: str):
        return json.loads(cli(*args)[0])

    return run


def _require_spark() -> bool:
    return os.environ.get("SPOOR_REQUIRE_SPARK") == "1"


@pytest.fixture(scope="session")
def spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if _require_spark():
            raise
        pytest.skip("PySpark is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if _require_spark():
            raise AssertionError("SPOOR_REQUIRE_SPARK=1 but no Java runtime")
        pytest.skip("no Java runtime")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Spark's Python workers run this interpreter (the one with spoor and pyarrow), not
    # whichever `python3` comes first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("spoor-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "16")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
