"""The queue's figures on ``/metrics``, read from the database at scrape time (docs/operations.md,
Jobs): the same on every instance, whatever process ran the jobs.

- ``huntaze_jobs_queued{task}``: jobs waiting (due now or scheduled for a retry);
- ``huntaze_jobs_running{task}``: jobs a worker is running;
- ``huntaze_job_oldest_due_seconds``: how long the oldest job due has waited (0 when none);
  it grows when no worker runs or the workers cannot keep up;
- ``huntaze_jobs_total{task, outcome}``: runs that ended, by outcome (``succeeded``, ``retried``,
  ``failed``), a counter kept in ``jobs_outcome_counts``.

Task names are the registered jobs' names: a bounded set.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from jobs.models import JobOutcomeCount

_QUEUE_SQL = """
SELECT task_name, status::text, count(*)
FROM procrastinate_jobs WHERE status IN ('todo', 'doing')
GROUP BY task_name, status
"""
# A job is due since it was deferred (procrastinate's "deferred" event) or since the time it
# was scheduled for (a retry): the older of those among due jobs.
_OLDEST_SQL = """
SELECT extract(epoch FROM now() - min(coalesce(j.scheduled_at, e.at)))
FROM procrastinate_jobs j
LEFT JOIN LATERAL (
    SELECT min(at) AS at FROM procrastinate_events WHERE job_id = j.id AND type = 'deferred'
) e ON true
WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
"""


def queue_metric_families() -> Iterator:
    queued = GaugeMetricFamily(
        "huntaze_jobs_queued",
        "Jobs waiting in the queue (due or scheduled), by task.",
        labels=["task"],
    )
    running = GaugeMetricFamily(
        "huntaze_jobs_running", "Jobs a worker is running, by task.", labels=["task"]
    )
    with connection.cursor() as cursor:
        cursor.execute(_QUEUE_SQL)
        for task, status, count in cursor.fetchall():
            (queued if status == "todo" else running).add_metric([task], count)
        cursor.execute(_OLDEST_SQL)
        oldest = cursor.fetchone()[0]
    yield queued
    yield running
    yield GaugeMetricFamily(
        "huntaze_job_oldest_due_seconds",
        "Seconds the oldest job that is due has waited for a worker (0: none waiting).",
        value=max(float(oldest or 0), 0.0),
    )
    total = CounterMetricFamily(
        "huntaze_jobs",
        "Job runs that ended, by task and outcome (succeeded, retried, failed).",
        labels=["task", "outcome"],
    )
    for task, outcome, count in JobOutcomeCount.objects.values_list(
        "task_name", "outcome", "count"
    ):
        total.add_metric([task, outcome], count)
    yield total
