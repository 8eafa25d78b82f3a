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

The app pages (``/admin/accounts/`` …) and breadcrumbs keep Django's one-app grouping, with the
apps' translated names.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

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
        _("Connexion (allauth)"),
        [("account", "EmailAddress"), ("socialaccount", "SocialAccount")],
    ),
)
OTHER_SECTION = ("other", _("Autres"))

# Models staff never need (see the module docstring), as "app_label.ModelName".
HIDDEN_MODELS = ("auth.Group", "socialaccount.SocialApp", "socialaccount.SocialToken")


class HuntazeAdminSite(admin.AdminSite):
    site_header = _("Huntaze · administration de la bêta")
    site_title = _("Administration Huntaze")
    index_title = _("Pilotage de la bêta")
    # The navigation sidebar takes a third of a 1366 px screen from every list; the index and
    # the breadcrumbs are enough to move around.
    enable_nav_sidebar = False

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
        # The section title links to its first page.
        "app_url": models[0]["admin_url"] or "",
        "has_module_perms": True,
        "models": models,
    }
