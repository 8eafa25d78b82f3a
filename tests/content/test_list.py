"""GET /api/content: own assets only, newest first, filters, search, pagination, query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from content.models import ContentAsset
from content.selectors import search_q
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


def test_lists_own_assets_newest_first_with_id_tie_break(
    client_for_user, user, make_user, make_asset
):
    now = timezone.now()
    make_asset(user=user, title="old", created_at=now - timedelta(days=2))
    make_asset(user=user, title="new", created_at=now)
    twins = [
        make_asset(user=user, title=f"twin{i}", created_at=now - timedelta(days=1))
        for i in range(3)
    ]
    make_asset(user=make_user(), title="someone else's", created_at=now + timedelta(days=1))

    body = client_for_user.get("/api/content").json()
    assert set(body) == {"results", "next", "previous"}
    twin_order = [a.title for a in sorted(twins, key=lambda a: a.pk, reverse=True)]
    assert [i["title"] for i in body["results"]] == ["new", *twin_order, "old"]
    assert body["next"] is None and body["previous"] is None


def test_filters_type_category_and_tags(client_for_user, user, make_asset):
    make_asset(user=user, title="a", type="CAPTION", category="mode", tags=["été", "promo"])
    make_asset(user=user, title="b", type="POST", category="mode", tags=["été"])
    make_asset(user=user, title="c", type="CAPTION", category="food", tags=["promo"])

    assert sorted(titles(client_for_user.get("/api/content?type=CAPTION"))) == ["a", "c"]
    assert sorted(titles(client_for_user.get("/api/content?category=mode"))) == ["a", "b"]
    assert sorted(titles(client_for_user.get("/api/content?tag=été"))) == ["a", "b"]
    assert titles(client_for_user.get("/api/content?tag=été&tag=promo")) == ["a"]
    assert titles(client_for_user.get("/api/content?type=CAPTION&category=mode")) == ["a"]
    assert titles(client_for_user.get("/api/content?tag=absent")) == []
    assert len(titles(client_for_user.get("/api/content?type=&q="))) == 3


def test_search_is_case_insensitive_on_title_and_content(
    client_for_user, user, make_user, make_asset
):
    make_asset(user=user, title="Recette de CRÊPES", content="farine")
    make_asset(user=user, title="Voyage", content="Les crêpes bretonnes")
    make_asset(user=user, title="Autre", content="rien")
    make_asset(user=make_user(), title="crêpes d'un autre", content="crêpes")

    assert sorted(titles(client_for_user.get("/api/content?q=crêpes"))) == [
        "Recette de CRÊPES",
        "Voyage",
    ]
    assert titles(client_for_user.get("/api/content?q=FARINE")) == ["Recette de CRÊPES"]
    # LIKE wildcards in q are literal characters.
    assert titles(client_for_user.get("/api/content?q=%25")) == []
    assert titles(client_for_user.get("/api/content?q=_")) == []


@pytest.mark.parametrize(
    "query",
    [
        "type=FOO",
        "type=post",
        f"category={'c' * 101}",
        f"tag={'t' * 51}",
        f"q={'q' * 201}",
        "page_size=101",
        "page_size=0",
        "page_size=abc",
    ],
)
def test_invalid_filters_are_a_400(client_for_user, query):
    assert_error(client_for_user.get(f"/api/content?{query}"), 400, "validation_error")


def test_pagination_next_and_previous(client_for_user, user, make_asset):
    now = timezone.now()
    for i in range(5):
        make_asset(user=user, title=f"a{i}", created_at=now - timedelta(minutes=i))

    first = client_for_user.get("/api/content?page_size=2&type=POST").json()
    assert [i["title"] for i in first["results"]] == ["a0", "a1"]
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/content?")
    assert (
        "page=2" in first["next"]
        and "page_size=2" in first["next"]
        and "type=POST" in first["next"]
    )

    second = client_for_user.get(first["next"]).json()
    assert [i["title"] for i in second["results"]] == ["a2", "a3"]
    third = client_for_user.get(second["next"]).json()
    assert [i["title"] for i in third["results"]] == ["a4"]
    assert third["next"] is None
    back = client_for_user.get(third["previous"]).json()
    assert [i["title"] for i in back["results"]] == ["a2", "a3"]
    assert "page=" not in client_for_user.get(second["previous"]).request["QUERY_STRING"]


def test_page_size_up_to_100(client_for_user, user):
    ContentAsset.objects.bulk_create(
        ContentAsset(user=user, title=f"t{i}", content="", type="POST") for i in range(101)
    )
    body = client_for_user.get("/api/content?page_size=100").json()
    assert len(body["results"]) == 100 and body["next"] is not None
    assert len(client_for_user.get("/api/content").json()["results"]) == 20


def test_list_query_count_does_not_grow_with_page_size(
    client_for_user, user, django_assert_num_queries
):
    ContentAsset.objects.bulk_create(
        ContentAsset(user=user, title=f"t{i}", content="body", type="POST", tags=["x"])
        for i in range(120)
    )
    client_for_user.get("/api/content?page_size=1")  # warm-up (e.g. content types cache)

    def count(url: str) -> int:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client_for_user.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count("/api/content?page_size=1&q=body&tag=x")
    with django_assert_num_queries(small):
        response = client_for_user.get("/api/content?page_size=100&q=body&tag=x")
    assert len(response.json()["results"]) == 100
    assert small <= 3  # the user of the token, the page (and nothing per row)


def explain_without_seq_scan(qs) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return qs.explain()


def test_search_and_tag_filters_are_served_by_their_gin_indexes(user, make_asset):
    """The q and tag filters compile to expressions their GIN indexes hold.

    (Within one user the planner may prefer the user index; this guards the expressions, so a
    change to the lookups that would make the indexes useless fails here.)
    """
    make_asset(user=user, title="Recette", content="crêpes", tags=["food"])
    plan = explain_without_seq_scan(ContentAsset.objects.filter(search_q("crêpe")))
    assert "content_title_owner_trgm" in plan and "content_body_owner_trgm" in plan, plan
    plan = explain_without_seq_scan(ContentAsset.objects.filter(tags__contains=["food"]))
    assert "content_tags_gin" in plan, plan


def test_search_ignores_accents_and_case_both_ways(client_for_user, user, make_asset):
    make_asset(user=user, title="Lumière du matin", content="café")
    make_asset(user=user, title="Sans accent", content="Un CŒUR en été")
    make_asset(user=user, title="Autre", content="rien")

    for q in ("lumière", "lumiere", "LUMIERE", "Lumiére"):
        assert titles(client_for_user.get("/api/content", {"q": q})) == ["Lumière du matin"], q
    assert titles(client_for_user.get("/api/content", {"q": "CAFE"})) == ["Lumière du matin"]
    assert titles(client_for_user.get("/api/content", {"q": "coeur en ete"})) == ["Sans accent"]
    assert titles(client_for_user.get("/api/content", {"q": "accént"})) == ["Sans accent"]


def test_category_filter_ignores_case(client_for_user, user, make_asset):
    make_asset(user=user, title="a", category="Mode")
    make_asset(user=user, title="b", category="mode")
    make_asset(user=user, title="c", category="model")

    for category in ("mode", "MODE", "Mode"):
        assert sorted(titles(client_for_user.get(f"/api/content?category={category}"))) == [
            "a",
            "b",
        ]


def test_a_page_past_the_end_is_a_404_and_the_last_page_links_back(
    client_for_user, user, make_asset
):
    for i in range(3):
        make_asset(user=user, title=f"a{i}")
    last = client_for_user.get("/api/content?page=2&page_size=2").json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert "page=" not in last["previous"]
    assert_error(client_for_user.get("/api/content?page=3&page_size=2"), 404, "not_found")
    assert_error(client_for_user.get("/api/content?page=99"), 404, "not_found")


def test_page_one_of_an_empty_list_is_an_empty_200(client_for_user):
    body = client_for_user.get("/api/content?q=nothing-matches").json()
    assert body == {"results": [], "next": None, "previous": None}


@pytest.mark.parametrize("query", ["", "type=&q=&category=&tag=", "page=2&page_size=5"])
def test_list_query_without_a_filter_is_what_the_serializer_gives(query):
    """ContentListQuery.filters skips the serializer when no filter is given: the same {}."""
    from django.http import QueryDict

    from content.serializers import ContentListQuery

    params = QueryDict(query)
    generic = ContentListQuery.from_query_params(params)
    assert generic.is_valid()
    assert ContentListQuery.filters(params) == dict(generic.validated_data) == {}


def test_list_query_filters_are_validated():
    from django.http import QueryDict
    from rest_framework.exceptions import ValidationError

    from content.serializers import ContentListQuery

    assert ContentListQuery.filters(QueryDict("type=POST&tag=a&tag=b")) == {
        "type": "POST",
        "tag": ["a", "b"],
    }
    with pytest.raises(ValidationError):
        ContentListQuery.filters(QueryDict("type=NOPE"))
