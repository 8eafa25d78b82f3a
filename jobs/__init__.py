"""The job queue: work that talks to the outside after a write, and periodic housekeeping
(docs/jobs.md).

A queue in PostgreSQL (procrastinate, ``procrastinate.contrib.django``): a job is a row
inserted on the request's own database connection, so in its transaction, and run by the
worker (``manage.py worker``, the Procfile's ``worker:`` line). This app is plumbing every app
may use, like ``huntaze``: it imports no other app. Each app keeps its jobs in its own
``tasks.py``.

- ``jobs.queue``: the procrastinate app, the retry schedule, the worker's database thread;
- ``jobs.email``: every email through the queue (``email_queue``), what a temporary failure is,
  delivery;
- ``jobs.worker``: the worker process (connections, bookkeeping of outcomes);
- ``jobs.metrics``: the queue's figures on ``/metrics``.
"""
