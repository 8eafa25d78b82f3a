"""Search that ignores accents as well as case: ``search_fold(text)`` and its trigram indexes.

``unaccent`` is a trusted extension (PostgreSQL 13+), so the database owner may create it, like
pg_trgm in 0002. ``unaccent(text)`` is only STABLE and cannot be indexed; the IMMUTABLE wrapper
names the dictionary with its schema, the documented way to make it safe to index. The schema
is looked up rather than assumed, in case the extension already lives outside ``public``.
The UPPER() trigram indexes of 0002 are replaced (they served the former ``icontains`` search).
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

import content.models


def create_search_fold(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'unaccent'"
        )
        schema = schema_editor.quote_name(cursor.fetchone()[0])
        cursor.execute(
            "CREATE OR REPLACE FUNCTION search_fold(text) RETURNS text"
            " LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
            f" AS $$ SELECT lower({schema}.unaccent('{schema}.unaccent'::regdictionary, $1)) $$"
        )


def drop_search_fold(apps, schema_editor):
    schema_editor.execute("DROP FUNCTION IF EXISTS search_fold(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0004_unbounded_title_category_tags"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(create_search_fold, drop_search_fold),
        migrations.RemoveIndex(model_name="contentasset", name="content_title_trgm"),
        migrations.RemoveIndex(model_name="contentasset", name="content_body_trgm"),
        migrations.AddIndex(
            model_name="contentasset",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    content.models.SearchFold("title"), name="gin_trgm_ops"
                ),
                name="content_title_fold_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="contentasset",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    content.models.SearchFold("content"), name="gin_trgm_ops"
                ),
                name="content_body_fold_trgm",
            ),
        ),
    ]
