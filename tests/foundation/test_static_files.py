"""The admin and the API docs work on the production server alone (no CDN, no web server)."""

import re

import pytest


@pytest.mark.django_db
def test_admin_static_files_are_served_by_the_app(client):
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


@pytest.mark.django_db
def test_api_docs_load_swagger_ui_from_our_own_static_files(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn.jsdelivr.net" not in html
    assets = re.findall(r'(/static/drf_spectacular_sidecar/[^"\']+\.js)', html)
    assert assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
