"""Search indexes that lead with the owner: ``(user_id, search_fold(title))`` and
``(user_id, search_fold(content))``, trigram GIN with btree_gin for the uuid.

The trigram indexes of 0005 had no owner column: a creator's ``?q=`` gathered every creator's
matching rows from them and only then kept its own (101,000 rows at a million assets for one
creator's 20 results). With the owner in the index, PostgreSQL intersects the creator's entries
with the query's trigrams inside the index, and reads that creator's matches only
(docs/content.md, Search; the plans in docs/benchmark.md, Scale).

Built ``CONCURRENTLY`` (the table stays writable while they build, so the migration is not
atomic), then the old indexes are dropped concurrently. btree_gin is a trusted extension
(PostgreSQL 13+): the database owner may create it, like pg_trgm and unaccent. If a build fails
half-way PostgreSQL leaves an INVALID index of that name: drop it
(``DROP INDEX CONCURRENTLY content_title_owner_trgm``) and run ``migrate`` again.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import (
    AddIndexConcurrently,
    BtreeGinExtension,
    RemoveIndexConcurrently,
)
from django.db import migrations, models

import content.models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("content", "0008_maintained_counts"),
    ]

    operations = [
        BtreeGinExtension(),
        AddIndexConcurrently(
            model_name="contentasset",
            index=django.contrib.postgres.indexes.GinIndex(
                models.F("user"),
                django.contrib.postgres.indexes.OpClass(
                    content.models.SearchFold("title"), name="gin_trgm_ops"
                ),
                name="content_title_owner_trgm",
            ),
        ),
        AddIndexConcurrently(
            model_name="contentasset",
            index=django.contrib.postgres.indexes.GinIndex(
                models.F("user"),
                django.contrib.postgres.indexes.OpClass(
                    content.models.SearchFold("content"), name="gin_trgm_ops"
                ),
                name="content_body_owner_trgm",
            ),
        ),
        RemoveIndexConcurrently(model_name="contentasset", name="content_title_fold_trgm"),
        RemoveIndexConcurrently(model_name="contentasset", name="content_body_fold_trgm"),
    ]
