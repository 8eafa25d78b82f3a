"""``?q=`` at beta scale: 10,000 assets per creator, search served by the trigram indexes.

The rows are written with one ``generate_series`` INSERT per creator (realistic French titles
and bodies, a handful of them about "Lumière d'automne"), then ``ANALYZE`` gives the planner the
statistics it has in production. The EXPLAIN of the exact query the list endpoint runs must use
both ``search_fold`` trigram indexes (no sequential scan, no walk through the creator's 10,000
rows), and the request stays within the content list's query budget.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.selectors import AssetListPage
from tests.test_query_budgets import BUDGET

pytestmark = pytest.mark.django_db

PER_CREATOR = 10_000
MATCHES = 5  # rows of the first creator that mention "Lumière d'automne"


def _fill(user, *, with_matches: bool) -> None:
    """10,000 assets for ``user`` in one statement; every 2,000th mentions "Lumière"."""
    match = "i %% 2000 = 0" if with_matches else "false"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO content_assets
                (id, user_id, title, content, type, category, tags, metadata, created_at,
                 updated_at)
            SELECT gen_random_uuid(), %s,
                   CASE WHEN {match} THEN 'Lumière d''automne n°' || i
                        ELSE (ARRAY['Recette de crêpes', 'Routine du matin', 'Visite du studio',
                                    'Moodboard printemps', 'Légende du lancement'])[1 + i %% 5]
                             || ' n°' || i END,
                   CASE WHEN {match} THEN 'Une photo à contre-jour, ' || i
                        ELSE 'Texte du jour ' || i || ' : café, été, idées de posts.' END,
                   (ARRAY['POST', 'STORY', 'VIDEO', 'IMAGE', 'CAPTION'])[1 + i %% 5],
                   (ARRAY['mode', 'food', 'coulisses', NULL])[1 + i %% 4],
                   ARRAY['beta', 'tag' || (i %% 50)]::varchar[], '{{}}'::jsonb,
                   now() - make_interval(mins => i), now()
            FROM generate_series(1, %s) AS i
            """,
            [user.pk, PER_CREATOR],
        )


@pytest.fixture
def creators(make_user):
    first, second = make_user(), make_user()
    _fill(first, with_matches=True)
    _fill(second, with_matches=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE content_assets")
    return first, second


def _plan(page: AssetListPage, limit: int) -> str:
    """EXPLAIN of the plain SQL the list endpoint runs for this page."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {page.sql}", [*page.values, limit, 0])
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("q", ["lumiere", "LUMIÈRE", "lumière d'automne"])
def test_search_plan_uses_both_fold_trigram_indexes_at_10000_assets_per_creator(creators, q):
    first, _second = creators
    page = AssetListPage(user_id=first.pk, q=q)
    plan = _plan(page, 21)  # what the paginator asks for
    assert "content_title_fold_trgm" in plan and "content_body_fold_trgm" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert len(page[0:21]) == MATCHES


def test_search_request_at_10000_assets_per_creator_stays_within_the_list_budget(
    creators, auth_client
):
    first, second = creators
    client = auth_client(first)
    client.get("/api/content?page_size=1")  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/content", {"q": "LUMIERE"})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert len(body["results"]) == MATCHES and body["next"] is None
    assert all("Lumière" in item["title"] for item in body["results"])
    assert len(ctx.captured_queries) <= BUDGET["content_list"]
    # The other creator's 10,000 rows are never matched, nor shown.
    assert auth_client(second).get("/api/content", {"q": "lumiere"}).json()["results"] == []
