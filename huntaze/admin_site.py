"""The admin as staff see it: Huntaze's name, and the models grouped by what staff do.

Django's index lists every installed app alphabetically under its own name, which gave
"Django administration", two sections both called "ACCOUNTS" (allauth's and ours), and the
invites — the page staff live in — under Groups and three allauth "Social …" models. This site
(installed by ``huntaze.apps.HuntazeAdminConfig`` in place of ``django.contrib.admin``) shows
the sections of ``SECTIONS`` in that order, the models in the listed order; a registered model
that no section names goes to a last "Other" section, so nothing registered ever disappears.

Hidden (unregistered in ``HuntazeAdminConfig.ready``): ``auth.Group`` (staff are users with the
ADMIN role; there are no groups or per-model permissions), allauth's ``SocialApp`` (Google is
configured by environment variables, and a second configuration in the database would break
Google sign-in) and ``SocialToken`` (OAuth tokens, never shown to staff).

Each section has a page of its own (``/admin/section/<key>/``), and every page's breadcrumbs
name the section its model is listed in (``Accueil > Bêta > Utilisateurs``), never the Django
app that defines it (``huntaze_admin`` template tags, ``huntaze/templates/admin``). Django's
per-app pages (``/admin/accounts/``) still answer, linked from nowhere.

Every page says which time zone its times are in and offers the language switch (``each_context``,
``huntaze/templates/admin/base_site.html``); an empty value is "—" everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _

from huntaze import l10n

# (section key, title, [(app_label, model object name), …]); models in this order.
SECTIONS = (
    ("beta", _("Bêta"), [("invites", "BetaInvite"), ("accounts", "User")]),
    ("content", _("Contenus"), [("content", "ContentAsset"), ("content", "AiUsage")]),
    (
        "billing",
        _("Abonnements"),
        [("billing", "SubscriptionRecord"), ("billing", "StripeEvent")],
    ),
    ("api", _("Accès à l'API"), [("accounts", "ApiKey"), ("accounts", "RefreshToken")]),
    (
        "sign_in",
        _("Connexion"),
        [("account", "EmailAddress"), ("socialaccount", "SocialAccount")],
    ),
    (
        "jobs",
        _("Tâches de fond"),
        [("jobs", "FailedJob"), ("procrastinate", "ProcrastinateJob")],
    ),
)
OTHER_SECTION = ("other", _("Autres"))

# The one mark of an empty value on every admin page (Django's default is "-").
EMPTY = "—"

# Models staff never need (see the module docstring), as "app_label.ModelName".
HIDDEN_MODELS = (
    "auth.Group",
    "socialaccount.SocialApp",
    "socialaccount.SocialToken",
    # allauth's two-factor authenticators hold TOTP secrets: staff see and turn off two-factor
    # from the user's page instead.
    "mfa.Authenticator",
)


class HuntazeAdminSite(admin.AdminSite):
    site_header = _("Huntaze · administration de la bêta")
    site_title = _("Administration Huntaze")
    index_title = _("Pilotage de la bêta")
    # The navigation sidebar takes a third of a 1366 px screen from every list; the index and
    # the breadcrumbs are enough to move around.
    enable_nav_sidebar = False
    empty_value_display = EMPTY

    def __init__(self, name: str = "admin"):
        super().__init__(name)
        # Extra links shown in a section (``add_section_link``), e.g. a staff dashboard page.
        self._section_links: dict[str, list[tuple[str, str]]] = {}

    @property
    def site_url(self) -> str:  # the "View site" link
        # Development: "/" redirects to the API docs. Production: the product's front end.
        return "/" if settings.DEBUG else settings.FRONTEND_URL

    def add_section_link(self, section: str, title, url_name: str) -> None:
        """Show a link to the page ``url_name`` in ``section`` (a key of ``SECTIONS``)."""
        self._section_links.setdefault(section, []).append((title, url_name))

    def each_context(self, request):
        return {**super().each_context(request), "display_zone_label": l10n.display_zone_label()}

    def get_urls(self):
        return [
            path("section/<str:key>/", self.admin_view(self.section_index), name="section"),
            *super().get_urls(),
        ]

    def section_index(self, request, key: str):
        """One section of the index on a page of its own (what its breadcrumb links to)."""
        sections = [s for s in self.get_app_list(request) if s["app_label"] == key]
        if not sections:
            raise Http404
        context = {
            **self.each_context(request),
            "title": sections[0]["name"],
            "subtitle": None,
            "app_list": sections,
            "app_label": key,
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/app_index.html", context)

    def section_of(self, app_label: str, object_name: str) -> tuple[str, object]:
        """``(key, title)`` of the index section that lists the model."""
        for key, title, members in SECTIONS:
            if (app_label, object_name) in members:
                return key, title
        return OTHER_SECTION

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:  # an app's own page: Django's grouping
            return apps
        models = {(app["app_label"], m["object_name"]): m for app in apps for m in app["models"]}
        sections = []
        for key, title, members in SECTIONS:
            entries = [models.pop(member) for member in members if member in models]
            entries += self._links(key)
            if entries:
                sections.append(_section(key, title, entries))
        if models:
            sections.append(_section(*OTHER_SECTION, list(models.values())))
        return sections

    def _links(self, section: str) -> list[dict]:
        links = []
        for title, url_name in self._section_links.get(section, []):
            try:
                url = reverse(url_name, current_app=self.name)
            except NoReverseMatch:
                continue
            links.append(
                {
                    "name": title,
                    "object_name": url_name.replace(":", "_").replace("-", "_"),
                    "admin_url": url,
                    "add_url": None,
                    "view_only": True,
                    "perms": {"view": True},
                }
            )
        return links


def _section(key: str, title, models: list[dict]) -> dict:
    return {
        "name": title,
        "app_label": key,
        "app_url": reverse("admin:section", kwargs={"key": key}),
        "has_module_perms": True,
        "models": models,
    }


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A page staff read but never edit (records written by the app itself: Stripe events,
    AI usage, failed jobs …): no add, change or delete."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
