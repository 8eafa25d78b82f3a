"""``make bench-email`` end to end, small (not a timed test: no figure is asserted).

The Procfile's web and worker processes, a local SMTP server taking 0.05 s a message, 8 invites
sent from the admin's bulk page (through its "send N emails?" confirmation) and 4 password
resets: the harness must get through every step, every email must arrive, and its JSON line must
carry the figures the closing notes quote. A change to the bulk page or the queue that the
harness does not follow fails here rather than on the day someone measures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_email_smoke():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        BENCH_EMAIL_INVITES="8",
        BENCH_EMAIL_RESETS="4",
        BENCH_SMTP_DELAY="0.05",
        BENCH_EMAIL_DATABASE=f"huntaze_bench_email_smoke_{os.getpid()}",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bench.email"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["invites"] == 8 and result["resets"] == 4
    assert result["all_invites_arrived_s"] >= result["bulk_page_s"] > 0
    assert result["reset_median_member_ms"] > 0 and result["reset_median_unknown_ms"] > 0
    assert set(result["targets"]) == {
        "bulk page < 1 s",
        "8 emails within 60 s",
        "reset medians within 20 ms",
    }
