"""One vocabulary between the index and the breadcrumbs (huntaze/admin_site.py): sections
named for what staff do, never after a library, and every page's breadcrumb names the section
its model is listed in."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_admin):
    client = Client()
    client.force_login(make_admin())
    return client


def _crumbs(html: str) -> list[str]:
    block = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", part).strip() for part in block.split("&rsaquo;")]


def test_index_sections_name_no_library(staff):
    html = staff.get("/admin/").content.decode()
    captions = re.findall(r'<a href="[^"]*" class="section"[^>]*>([^<]+)</a>', html)
    assert captions[:2] == ["Bêta", "Contenus"]
    assert "Connexion" in captions
    assert not [c for c in captions if "allauth" in c.lower() or "(" in c]


@pytest.mark.parametrize(
    ("url_name", "args", "section"),
    [
        ("admin:accounts_user_changelist", [], "Bêta"),
        ("admin:invites_betainvite_changelist", [], "Bêta"),
        ("admin:invites_betainvite_bulk", [], "Bêta"),
        ("admin:accounts_apikey_changelist", [], "Accès à l'API"),
        ("admin:content_contentasset_changelist", [], "Contenus"),
    ],
)
def test_breadcrumbs_name_the_index_section(staff, url_name, args, section):
    html = staff.get(reverse(url_name, args=args)).content.decode()
    crumbs = _crumbs(html)
    assert crumbs[:2] == ["Accueil", section.replace("'", "&#x27;")], crumbs


def test_a_user_page_is_under_beta_not_accounts(staff, make_user):
    user = make_user(email="camille@example.test")
    html = staff.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert _crumbs(html)[:3] == ["Accueil", "Bêta", "Utilisateurs"]
    assert 'href="/admin/section/beta/"' in html
    assert "Comptes" not in _crumbs(html)


def test_a_section_has_its_page(staff):
    response = staff.get("/admin/section/beta/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _crumbs(html) == ["Accueil", "Bêta"]
    assert reverse("admin:invites_betainvite_changelist") in html
    assert reverse("admin:accounts_user_changelist") in html
    assert reverse("admin:content_contentasset_changelist") not in html
    assert staff.get("/admin/section/nope/").status_code == 404
    assert Client().get("/admin/section/beta/").status_code == 302  # staff only
