"""The admin's site (huntaze/admin_site.py): Huntaze's name, sections by what staff do, the
models staff never need hidden, and "View site" / "/" that go somewhere useful."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_admin):
    client = Client()
    client.force_login(make_admin())
    return client


def _index(client, language: str) -> tuple[str, list[str], list[str]]:
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    sections = re.findall(r'class="section"[^>]*>(.*?)</a>', html)
    models = re.findall(r'<th scope="row" id="[^"]+">\s*<a[^>]*>(.*?)</a>', html)
    return html, sections, models


def test_index_in_french_beta_first_invites_then_users(staff):
    html, sections, models = _index(staff, "fr")
    assert "Huntaze · administration de la bêta" in html
    assert "Django" not in re.search(r"<title>(.*?)</title>", html).group(1)
    assert sections == [
        "Bêta",
        "Contenus",
        "Abonnements",
        "Accès à l&#x27;API",
        "Connexion",
        "Tâches de fond",
    ]
    assert models[:2] == ["Invitations bêta", "Utilisateurs"]
    assert "Clés API" in models and "Ai usages" not in models and "Api keys" not in models


def test_index_in_english(staff):
    html, sections, models = _index(staff, "en")
    assert "Huntaze · beta admin" in html
    assert sections == [
        "Beta",
        "Content",
        "Subscriptions",
        "API access",
        "Sign-in",
        "Background jobs",
    ]
    assert models[:2] == ["Beta invites", "Users"]
    assert {"API keys", "AI usage", "Refresh tokens", "Stripe events"} <= set(models)


def test_models_staff_never_need_are_hidden(staff):
    _html, _sections, models = _index(staff, "en")
    assert not {"Groups", "Social applications", "Social application tokens"} & set(models)
    for url in (
        "/admin/auth/group/",
        "/admin/socialaccount/socialapp/",
        "/admin/socialaccount/socialtoken/",
    ):
        assert staff.get(url).status_code == 404, url


def test_a_page_can_join_a_section(staff):
    site = admin.site
    site.add_section_link("beta", "Tableau de bord", "admin:password_change")
    try:
        _html, _sections, models = _index(staff, "fr")
    finally:
        site._section_links.clear()
    assert models[:3] == ["Invitations bêta", "Utilisateurs", "Tableau de bord"]


def test_view_site_goes_to_the_front_end_in_production_and_to_the_docs_in_development(
    staff, settings, client
):
    settings.FRONTEND_URL = "https://app.huntaze.test"
    assert 'href="https://app.huntaze.test"' in staff.get("/admin/").content.decode()
    assert client.get("/").status_code == 404
    settings.DEBUG = True
    assert 'href="/"' in staff.get("/admin/").content.decode()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/api/docs"


def test_the_object_pages_have_a_title_of_their_own(staff, make_invite, make_user):
    invite, user = make_invite(), make_user()
    page = staff.get(f"/admin/invites/betainvite/{invite.pk}/change/").content.decode()
    assert "<h1>Invitation bêta</h1>" in page and "Modification de" not in page
    page = staff.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert "<h1>Compte créateur</h1>" in page
    listing = staff.get("/admin/content/contentasset/").content.decode()
    assert "<h1>Contenus</h1>" in listing and "Sélectionnez" not in listing
