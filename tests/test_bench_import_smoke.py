"""``make bench-import`` end to end, small (not a timed test: no figure is asserted).

200 Prisma-era users and 2,000 assets: the harness builds the old database, then runs the real
``import_legacy`` three times (dry run, first import, the delta run with nothing new). It must get
through, the delta run must report nothing to do, and the skipped rows must be the ones the
harness plants (soft-deleted users and their assets) — so a change to the import or its report
that the harness no longer follows fails here, not on the day someone measures.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_import_smoke():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(BENCH_LEGACY_USERS="200", BENCH_LEGACY_ASSETS="2000")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.legacy"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "second run: nothing to do = True" in out, out[-3000:]
    first = re.search(r"first import .*users (\{.*?\}), content (\{.*?\})", out)
    assert first, out[-3000:]
    users, content = (ast.literal_eval(part) for part in first.groups())
    assert users["read"] == 200 and users["imported"] + users["skipped"] == 200
    assert content["read"] == 2000 and content["imported"] + content["skipped"] == 2000
    assert users["imported"] > 0 and content["imported"] > 0
