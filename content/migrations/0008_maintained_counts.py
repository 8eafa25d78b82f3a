"""Counts maintained on write: assets per creator (the profile) and per quarter hour (the
dashboard), so neither reads grow with the ``content_assets`` table (docs/content.md, Counts).

Triggers on ``content_assets`` keep both tables exact in the transaction that writes the assets:

- ``AFTER INSERT`` / ``AFTER DELETE``, once per statement, read the statement's rows from its
  transition table and apply one grouped delta per creator and per bucket: a bulk load of a
  million rows is one upsert per creator and bucket, not a million.
- ``AFTER UPDATE OF user_id, created_at``, per row and only when one of them changed (an edit
  of the title does not touch the counts): -1 on the old keys, +1 on the new ones.
- ``AFTER TRUNCATE`` empties both.

Each delta is ``INSERT … ON CONFLICT DO UPDATE SET n = n + delta``: concurrent writers of the
same creator or bucket queue on that row's lock and each adds to the committed value, so no
update is lost (``tests/content/test_counts.py`` with threads). Rows are upserted in key order,
creators before buckets, so two statements lock them in the same order. A count that reaches 0
stays as a row (deleting it could race with a concurrent insert's upsert).

The backfill runs after the triggers exist, with ``content_assets`` locked against writes
(``SHARE`` mode: reads go on), so no asset is counted twice or missed.
"""

from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION content_bucket(timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT date_bin('15 minutes', $1, timestamptz '2000-01-01 00:00:00+00') $$;

CREATE OR REPLACE FUNCTION content_counts_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO content_creator_counts AS c (user_id, count)
        SELECT user_id, count(*) FROM new_rows GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET count = c.count + EXCLUDED.count;
    INSERT INTO content_activity_buckets AS b (bucket, assets)
        SELECT content_bucket(created_at), count(*) FROM new_rows GROUP BY 1 ORDER BY 1
    ON CONFLICT (bucket) DO UPDATE SET assets = b.assets + EXCLUDED.assets;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION content_counts_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO content_creator_counts AS c (user_id, count)
        SELECT user_id, -count(*) FROM old_rows GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET count = c.count + EXCLUDED.count;
    INSERT INTO content_activity_buckets AS b (bucket, assets)
        SELECT content_bucket(created_at), -count(*) FROM old_rows GROUP BY 1 ORDER BY 1
    ON CONFLICT (bucket) DO UPDATE SET assets = b.assets + EXCLUDED.assets;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION content_counts_after_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.user_id IS DISTINCT FROM NEW.user_id THEN
        INSERT INTO content_creator_counts AS c (user_id, count)
            SELECT k, d FROM (VALUES (OLD.user_id, -1), (NEW.user_id, 1)) v(k, d) ORDER BY k
        ON CONFLICT (user_id) DO UPDATE SET count = c.count + EXCLUDED.count;
    END IF;
    IF content_bucket(OLD.created_at) IS DISTINCT FROM content_bucket(NEW.created_at) THEN
        INSERT INTO content_activity_buckets AS b (bucket, assets)
            SELECT k, d FROM (VALUES (content_bucket(OLD.created_at), -1),
                                     (content_bucket(NEW.created_at), 1)) v(k, d) ORDER BY k
        ON CONFLICT (bucket) DO UPDATE SET assets = b.assets + EXCLUDED.assets;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION content_counts_after_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM content_creator_counts;
    DELETE FROM content_activity_buckets;
    RETURN NULL;
END $$;

CREATE TRIGGER content_counts_insert AFTER INSERT ON content_assets
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION content_counts_after_insert();
CREATE TRIGGER content_counts_delete AFTER DELETE ON content_assets
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION content_counts_after_delete();
CREATE TRIGGER content_counts_update AFTER UPDATE OF user_id, created_at ON content_assets
    FOR EACH ROW
    WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION content_counts_after_update();
CREATE TRIGGER content_counts_truncate AFTER TRUNCATE ON content_assets
    FOR EACH STATEMENT EXECUTE FUNCTION content_counts_after_truncate();

LOCK TABLE content_assets IN SHARE MODE;
INSERT INTO content_creator_counts (user_id, count)
    SELECT user_id, count(*) FROM content_assets GROUP BY user_id;
INSERT INTO content_activity_buckets (bucket, assets)
    SELECT content_bucket(created_at), count(*) FROM content_assets GROUP BY 1;
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS content_counts_insert ON content_assets;
DROP TRIGGER IF EXISTS content_counts_delete ON content_assets;
DROP TRIGGER IF EXISTS content_counts_update ON content_assets;
DROP TRIGGER IF EXISTS content_counts_truncate ON content_assets;
DROP FUNCTION IF EXISTS content_counts_after_insert();
DROP FUNCTION IF EXISTS content_counts_after_delete();
DROP FUNCTION IF EXISTS content_counts_after_update();
DROP FUNCTION IF EXISTS content_counts_after_truncate();
DROP FUNCTION IF EXISTS content_bucket(timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0007_ai_reservations"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContentActivityBucket",
            fields=[
                ("bucket", models.DateTimeField(primary_key=True, serialize=False)),
                ("assets", models.BigIntegerField(default=0)),
            ],
            options={
                "db_table": "content_activity_buckets",
            },
        ),
        migrations.CreateModel(
            name="CreatorContentCount",
            fields=[
                ("user_id", models.UUIDField(primary_key=True, serialize=False)),
                ("count", models.BigIntegerField(default=0)),
            ],
            options={
                "db_table": "content_creator_counts",
            },
        ),
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
    ]
