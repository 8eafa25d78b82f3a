"""What the job queue keeps beside procrastinate's own tables (docs/jobs.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from procrastinate.contrib.django.models import ProcrastinateJob


class JobOutcomeCount(models.Model):
    """How many runs of each job ended in each outcome since the queue exists: the counters
    ``/metrics`` serves (``huntaze_jobs_total``). Kept in the database, so they survive restarts
    of the worker and the removal of old jobs, and every instance reports the same figures."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        RETRIED = "retried"  # failed, and will run again later
        FAILED = "failed"  # failed for good

    task_name = models.CharField(max_length=128)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "jobs_outcome_counts"
        constraints = [
            models.UniqueConstraint(fields=["task_name", "outcome"], name="jobs_outcome_unique")
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.outcome}: {self.count}"


class JobError(models.Model):
    """The last error of a job that failed (retried since, or failed for good): what staff see
    in the admin beside procrastinate's job row. No database constraint on the job: the queue
    deletes its old jobs itself (``jobs.tasks.remove_old_jobs`` drops the orphans)."""

    job = models.OneToOneField(
        ProcrastinateJob,
        primary_key=True,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="error",
        verbose_name=_("tâche"),
    )
    error = models.CharField(_("erreur"), max_length=500)
    final = models.BooleanField(_("définitive"), default=False)
    at = models.DateTimeField(_("survenue le"), default=timezone.now)

    class Meta:
        db_table = "jobs_errors"
        verbose_name = _("erreur de tâche")
        verbose_name_plural = _("erreurs de tâches")

    def __str__(self) -> str:
        return self.error


class FailedJob(ProcrastinateJob):
    """Procrastinate's jobs as the admin's "failed jobs" page shows them (``jobs.admin``)."""

    class Meta:
        proxy = True
        verbose_name = _("tâche en échec")
        verbose_name_plural = _("tâches en échec")


class OutboundEmail(models.Model):
    """An email waiting for the worker, rendered when it was asked for (allauth's emails) or
    when it is sent (the password reset: ``body`` empty until then).

    The job that sends it carries only this row's id, never an address, a link or a key (job
    arguments show in logs and in the admin). The row is deleted once the email is sent, so the
    links it holds do not outlive their delivery.
    """

    kind = models.CharField(max_length=64)  # a fixed word: password_reset, allauth's template
    to = models.CharField(max_length=254)
    subject = models.TextField(blank=True, default="")
    body = models.TextField(blank=True, default="")
    html = models.TextField(blank=True, default="")
    from_email = models.CharField(max_length=254, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "jobs_outbound_emails"
        indexes = [models.Index(fields=["created_at"], name="jobs_outbound_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class IdempotencyKey(models.Model):
    """An effect that must happen once, however many times it is tried: a job run twice (a
    retry after an unclear failure, a crashed worker's job run again), or a request and the job
    that takes over from it. ``jobs.queue.idempotency_key_claim`` inserts the key in the
    transaction that applies the effect: the first transaction to commit it applies the effect,
    the others find the key and do nothing. Kept 30 days (``jobs.tasks.remove_old_jobs``), far
    past the last retry of any job."""

    key = models.CharField(max_length=128, primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "jobs_idempotency_keys"
        indexes = [models.Index(fields=["created_at"], name="jobs_idem_created_idx")]

    def __str__(self) -> str:
        return self.key
