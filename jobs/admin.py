"""The failed jobs, for staff (docs/jobs.md, In the admin): which job, its error, when, and a
"Retry" action. Procrastinate's own page of every job (``procrastinate.contrib.django``) sits
beside it."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from huntaze.admin_site import ReadOnlyModelAdmin
from jobs.models import FailedJob
from jobs.queue import app

EMPTY = "—"


@admin.register(FailedJob)
class FailedJobAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "task_name", "error_column", "failed_at", "attempts", "arguments")
    list_filter = ("task_name",)
    ordering = ("-id",)
    actions = ("retry_jobs",)
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status="failed").select_related("error")

    @admin.display(description=gettext_lazy("erreur"))
    def error_column(self, obj: FailedJob):
        error = getattr(obj, "error", None)
        if error is None:
            return EMPTY
        return format_html('<span style="color:#dc2626">{}</span>', error.error)

    @admin.display(description=gettext_lazy("en échec le"))
    def failed_at(self, obj: FailedJob):
        error = getattr(obj, "error", None)
        return timezone.localtime(error.at) if error is not None else EMPTY

    @admin.display(description=gettext_lazy("arguments"))
    def arguments(self, obj: FailedJob):
        # Ids only: job arguments never carry an address, a link or a key (jobs.email).
        return format_html("<code>{}</code>", json.dumps(obj.args, sort_keys=True))

    @admin.action(description=gettext_lazy("Relancer les tâches sélectionnées"))
    def retry_jobs(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        for job_id in ids:
            app.job_manager.retry_job_by_id(job_id=job_id, retry_at=timezone.now())
        self.message_user(
            request,
            ngettext(
                "%(n)d tâche relancée : le worker la reprend.",
                "%(n)d tâches relancées : le worker les reprend.",
                len(ids),
            )
            % {"n": len(ids)},
            messages.SUCCESS,
        )
