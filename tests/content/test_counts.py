"""The counts maintained on write (content/counts.py, migration 0008) stay exact.

Assets per creator (the profile's ``stats.content_count``) and per quarter hour (the dashboard's
content per day) are kept by triggers on ``content_assets`` in the writing transaction: checked
here against a fresh count after every kind of write, under concurrent writers (threads, each
its own connection, committing), and through the profile, which must not count the assets.
"""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from content.counts import drift
from content.models import ContentActivityBucket, ContentAsset, CreatorContentCount
from tests.concurrency import run_concurrently
from tests.factories import make_asset, make_user


def _count(user) -> int:
    row = CreatorContentCount.objects.filter(user_id=user.pk).first()
    return row.count if row else 0


def _bucket(at: dt.datetime) -> int:
    start = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
    row = ContentActivityBucket.objects.filter(bucket=start).first()
    return row.assets if row else 0


def _assert_exact() -> None:
    found = drift(connection)
    assert found.ok, found


@pytest.mark.django_db
def test_counts_follow_every_kind_of_write():
    alice, bob = make_user(), make_user()
    at = dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=dt.UTC)  # the Paris DST night
    assets = [make_asset(user=alice, created_at=at) for _ in range(3)]
    assert (_count(alice), _count(bob), _bucket(at)) == (3, 0, 3)

    # Bulk insert: one statement, many rows of several creators and buckets.
    later = at + dt.timedelta(minutes=1)  # the next quarter hour
    ContentAsset.objects.bulk_create(
        [ContentAsset(user=u, title="b", type="POST", created_at=later) for u in (alice, bob) * 4]
    )
    assert (_count(alice), _count(bob), _bucket(at), _bucket(later)) == (7, 4, 3, 8)

    # An edit that changes neither owner nor date leaves the counts alone; a move changes both.
    ContentAsset.objects.filter(pk=assets[0].pk).update(title="edited")
    ContentAsset.objects.filter(pk=assets[0].pk).update(user=bob, created_at=later)
    assert (_count(alice), _count(bob), _bucket(at), _bucket(later)) == (6, 5, 2, 9)

    # An upsert (INSERT … ON CONFLICT DO UPDATE, as an import's re-run writes): the new row
    # counts once, the existing one moves with its new owner and date.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO content_assets (id, user_id, title, content, type, tags, metadata,"
            " created_at, updated_at) VALUES"
            " (%s, %s, 'u', '', 'POST', '{}', '{}', %s, now()),"
            " (gen_random_uuid(), %s, 'n', '', 'POST', '{}', '{}', %s, now())"
            " ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id,"
            " created_at = EXCLUDED.created_at",
            [assets[2].pk, alice.pk, later, alice.pk, at],
        )
    assert (_count(alice), _count(bob), _bucket(at), _bucket(later)) == (7, 5, 2, 10)
    _assert_exact()
    ContentAsset.objects.filter(title="n").delete()
    ContentAsset.objects.filter(pk=assets[2].pk).update(created_at=at)
    assert (_count(alice), _count(bob), _bucket(at), _bucket(later)) == (6, 5, 2, 9)

    # Deletes: one row, a queryset, and the user (Django's cascade deletes the assets).
    assets[1].delete()
    ContentAsset.objects.filter(user=bob, created_at=later).delete()
    assert (_count(alice), _count(bob), _bucket(at), _bucket(later)) == (5, 0, 1, 4)
    alice.delete()
    assert (_count(alice), _bucket(at), _bucket(later)) == (0, 0, 0)
    _assert_exact()


@pytest.mark.django_db(transaction=True)
def test_counts_stay_exact_under_concurrent_inserts_and_deletes():
    """Eight threads write to the same creator and the same quarter hour at once: each inserts
    assets (one by one and in bulk) and deletes some, in its own committing transactions. No
    increment may be lost, and a rolled-back insert must not count."""
    creator = make_user()
    seeded = [make_asset(user=creator) for _ in range(16)]
    to_delete = [a.pk for a in seeded]
    lock = threading.Lock()

    def writer(index: int) -> None:
        for round_ in range(5):
            with transaction.atomic():
                make_asset(user=creator, title=f"t{index}-{round_}")
            ContentAsset.objects.bulk_create(
                [ContentAsset(user=creator, title="bulk", type="POST") for _ in range(3)]
            )
            with lock:
                victim = to_delete.pop() if to_delete else None
            if victim is not None:
                ContentAsset.objects.filter(pk=victim).delete()
        try:
            with transaction.atomic():
                make_asset(user=creator, title="rolled back")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass

    run_concurrently(writer, args=[(i,) for i in range(8)])
    expected = 16 + 8 * 5 * 4 - 16
    assert ContentAsset.objects.filter(user=creator).count() == expected
    assert _count(creator) == expected
    _assert_exact()


@pytest.mark.django_db
def test_profile_reads_the_count_without_counting_assets(auth_client):
    creator = make_user()
    client = auth_client(creator)
    for n in range(3):
        response = client.post(
            "/api/content", {"title": f"t{n}", "content": "x", "type": "POST"}, format="json"
        )
        assert response.status_code == 201, response.content[:300]
    asset_id = response.json()["id"]
    assert client.delete(f"/api/content/{asset_id}").status_code == 204

    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/users/profile")
    assert response.status_code == 200
    assert response.json()["stats"]["content_count"] == 2
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "content_creator_counts" in sql
    assert "content_assets" not in sql, sql  # no count(*) over the assets on a profile read


@pytest.mark.django_db
def test_validate_database_reports_a_drifted_count_and_rebuilds_it():
    creator = make_user()
    for _ in range(2):
        make_asset(user=creator)
    out = io.StringIO()
    call_command("validate_database", stdout=out)
    assert "content_counts" in out.getvalue()

    CreatorContentCount.objects.filter(user_id=creator.pk).update(count=5)
    ContentActivityBucket.objects.update(assets=0)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("validate_database", stdout=out)
    assert exit_.value.code == 1
    text = out.getvalue()
    assert "FAIL" in text and "content_counts" in text
    assert f"user {creator.pk}: 5 counted, 2 in the table" in text, text
    assert "bucket(s) differ" in text and "--rebuild-counts" in text

    out = io.StringIO()
    call_command("validate_database", "--rebuild-counts", stdout=out)  # exit 0: repaired
    assert "rebuilt (1 creator(s) and 1 bucket(s) were off)" in out.getvalue(), out.getvalue()
    assert _count(creator) == 2
    _assert_exact()


@pytest.mark.django_db
def test_validate_database_reports_a_disabled_trigger():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE content_assets DISABLE TRIGGER content_counts_insert")
    make_asset(user=make_user())  # not counted: the trigger is off
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("validate_database", "--json", stdout=out)
    assert "content_counts_insert" in out.getvalue()
