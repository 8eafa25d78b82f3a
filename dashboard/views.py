"""The staff's "Beta" page in the admin (``/admin/beta/``, docs/operations.md)."""

from __future__ import annotations

import logging

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Plan, Role
from dashboard import charts, selectors
from huntaze.l10n import display_today
from invites.selectors import invite_funnel

logger = logging.getLogger("huntaze.dashboard")


def beta_dashboard(request):
    """Every figure in a fixed number of queries (dashboard/selectors.py), charts as SVG.

    Wrapped by ``admin.site.admin_view`` in dashboard/urls.py: staff only, never cached.
    """
    signups = selectors.signups_per_day()
    activity = selectors.content_and_generations_per_day()
    funnel = invite_funnel()
    ai = selectors.ai_month()
    plans = selectors.plans()
    status = ai.status
    today = display_today()
    context = {
        **admin.site.each_context(request),
        "title": _("Tableau de bord de la bêta"),
        "signups_chart_data": signups,
        "signups_total": sum(n for _day, n in signups),
        "signups_chart": charts.daily_bars(
            _("Inscriptions par jour (30 jours)"),
            [(day, (n,)) for day, n in signups],
            names=[_("inscriptions")],
        ),
        "funnel": funnel,
        "funnel_chart": charts.horizontal_bars(
            _("Entonnoir des invitations"),
            [
                (_("émises"), funnel["issued"]),
                (_("envoyées"), funnel["sent"]),
                (_("utilisées"), funnel["used"]),
            ],
            colors=(charts.GREY, charts.BLUE, charts.GREEN),
        ),
        "active": selectors.active_creators(),
        # The users' list showing exactly the creators each figure counts.
        "active_urls": {
            days: reverse("admin:accounts_user_changelist")
            + f"?activity={days}d&role__exact={Role.CREATOR}&deleted=no"
            for days in (7, 30)
        },
        "activity_totals": (sum(a for _d, a, _g in activity), sum(g for _d, _a, g in activity)),
        "activity_chart": charts.daily_bars(
            _("Contenus créés et générations IA par jour (30 jours)"),
            [(day, (assets, generations)) for day, assets, generations in activity],
            names=[_("contenus"), _("générations IA")],
        ),
        "ai": ai,
        "budget": status,
        "budget_percent": None if status.ratio is None else round(status.ratio * 100, 1),
        "budget_gauge": charts.gauge(
            _("Dépense IA du mois"),
            spent=status.spent_usd,
            reserved=status.reserved_usd,
            budget=status.budget_usd,
        ),
        "cost_chart": charts.cumulative_line(
            _("Coût IA cumulé du mois (USD)"),
            ai.cumulative_cost,
            budget=status.budget_usd,
            last_day=today,
        ),
        "plans": plans,
        # Plans by the names the users' list and filters use (Gratuit, Pro, Entreprise).
        "paying": [(Plan(plan).label, count) for plan, count in plans.paying.items()],
        "plans_chart": charts.horizontal_bars(
            _("Répartition des offres"),
            [(Plan(plan).label, count) for plan, count in plans.mix.items()],
            colors=(charts.GREY, charts.BLUE, charts.GREEN),
        ),
        "database": selectors.database(),
    }
    return TemplateResponse(request, "admin/dashboard/beta.html", context)
