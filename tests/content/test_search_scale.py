"""``?q=`` at beta scale: 10,000 assets per creator, search served by the owner-leading
trigram indexes.

The rows are written with one ``generate_series`` INSERT per creator (realistic French titles
and bodies, a handful of them about "Lumière d'automne"; a third creator whose every title is
about it), then ``ANALYZE`` gives the planner the statistics it has in production. The EXPLAIN of
the exact query the list endpoint runs must use both owner-leading ``search_fold`` trigram
indexes (no sequential scan, no walk through the creator's 10,000 rows) and read only the
creator's own matches from them, not the other creators'; the statement is planned for its
values at every execution, never switched to a generic plan; the request stays within the
content list's query budget.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.selectors import AssetListPage
from tests.test_query_budgets import BUDGET

pytestmark = pytest.mark.django_db

PER_CREATOR = 10_000
MATCHES = 5  # rows of the first creator that mention "Lumière d'automne"


def _fill(user, *, with_matches: bool, all_match: bool = False, every: int = 2000) -> None:
    """10,000 assets for ``user`` in one statement; every 2,000th (``every``) mentions
    "Lumière" (or all of them, ``all_match``)."""
    match = "true" if all_match else f"i %% {every} = 0" if with_matches else "false"
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
    assert "content_title_owner_trgm" in plan and "content_body_owner_trgm" in plan, plan
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


def _index_scans(page: AssetListPage, limit: int) -> list[dict]:
    """The index scans of the executed plan (EXPLAIN ANALYZE) of this page's query."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {page.sql}", [*page.values, limit, 0])
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    scans, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        if "Index Name" in node:
            scans.append(node)
        todo.extend(node.get("Plans", []))
    return scans


def test_search_reads_only_the_creators_own_matches_from_the_owner_leading_indexes(creators):
    """Another creator has 10,000 titles about "Lumière": the trigram indexes hand over the
    searching creator's five matches, not the 10,005 of everyone (what an index without the
    owner did). Plain index scans are off here so the planner shows its bitmap plan: with such
    a crowd, the statistics (a third of all titles match) can make it walk the creator's own
    rows newest first instead, which also reads nothing of anyone else's."""
    first, _second = creators
    crowd = type(first).objects.create_user(email="crowd@example.test", password="x" * 12)
    _fill(crowd, with_matches=True, all_match=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE content_assets")
        cursor.execute("SET LOCAL enable_indexscan = off")
    scans = _index_scans(AssetListPage(user_id=first.pk, q="lumiere"), 21)
    names = {scan["Index Name"] for scan in scans}
    assert names == {"content_title_owner_trgm", "content_body_owner_trgm"}, scans
    assert sum(scan["Actual Rows"] for scan in scans) == MATCHES, scans


def _prepared(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_search_is_planned_for_its_values_at_every_execution(creators, auth_client):
    """psycopg prepares a statement run 5 times on a connection, and PostgreSQL may give a
    prepared statement one generic plan from its sixth execution on: one that does not know the
    creator nor the words. The search is never prepared; the plain list is (the mechanism is on).
    """
    first, _second = creators
    client = auth_client(first)
    for _ in range(8):
        response = client.get("/api/content", {"q": "lumiere", "page_size": 2})
        assert response.status_code == 200 and len(response.json()["results"]) == 2
        assert client.get("/api/content", {"page_size": 2}).status_code == 200
    assert _prepared('FROM "content_assets" a WHERE a."user_id" = $1 ORDER BY'), (
        "the list is not prepared: prepared statements are off in this test run"
    )
    assert _prepared("search_fold") == []
    # And what it runs, for the values it runs with, reads the creator's matches only.
    scans = _index_scans(AssetListPage(user_id=first.pk, q="lumiere"), 3)
    assert sum(scan["Actual Rows"] for scan in scans) == MATCHES, scans


def test_a_common_word_on_a_large_catalogue_reads_a_page_not_every_match(make_user):
    """A creator with 10,000 assets, a fifth of them about "Lumière": the first page is read
    newest first and stops after it, rather than fetching and sorting all 2,000 matches. The
    planner can only tell from the statistics ``ANALYZE`` keeps on the indexes' expression
    ``search_fold(title)`` (migration 0010 analyses the table once the indexes exist): without
    them it guesses a handful of matches from the pattern's length."""
    creator = make_user()
    _fill(creator, with_matches=True, every=5)
    for _ in range(3):
        _fill(make_user(), with_matches=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE content_assets")
    page = AssetListPage(user_id=creator.pk, q="lumiere")
    scans = _index_scans(page, 21)
    assert sum(scan["Actual Rows"] for scan in scans) <= 200, scans
    assert len(page[0:21]) == 21
    # What makes it so: the planner knows how common the word is (2,000 of 40,000 titles).
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM content_assets"
            " WHERE search_fold(title) LIKE '%%lumiere%%'"
        )
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    assert 1_000 <= plan[0]["Plan"]["Plan Rows"] <= 4_000, plan
    assert len(page[0:21]) == 21
