"""huntaze/gunicorn_worker.py copies gunicorn's ``GeventWorker.run()`` (gunicorn has no hook for
the spawn pool): importing the module (the gunicorn master does, before it forks a worker)
refuses to start when the installed gunicorn's ``run()`` is not the one copied, and this test
fails on the same condition, so ``make upgrade-check`` flags a gunicorn release that changed it."""

from __future__ import annotations

import pytest
from gunicorn.workers import ggevent

from huntaze import gunicorn_worker


def test_the_installed_gunicorns_run_is_the_one_copied():
    assert gunicorn_worker.gunicorn_run_sha256() == gunicorn_worker.GUNICORN_RUN_SHA256, (
        "gunicorn's GeventWorker.run() changed: carry the change over to "
        "huntaze/gunicorn_worker.py, then update GUNICORN_RUN_SHA256 and GUNICORN_VERSION"
    )


def test_a_gunicorn_whose_run_changed_refuses_to_start(monkeypatch):
    def run(self):  # what a new gunicorn release could bring
        return None

    monkeypatch.setattr(ggevent.GeventWorker, "run", run)
    with pytest.raises(RuntimeError, match="GUNICORN_RUN_SHA256"):
        gunicorn_worker.gunicorn_run_check()
