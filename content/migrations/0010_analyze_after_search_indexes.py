"""``ANALYZE content_assets`` once the owner-leading search indexes of 0009 exist.

PostgreSQL keeps the statistics of an index expression (``search_fold(title)``,
``search_fold(content)``) with the index: 0009 dropped the indexes that held them and built new
ones that have none until the table is analysed again, which autovacuum does only after a tenth
of the rows changed (half a million writes at 5M assets). Meanwhile the planner guesses from
the pattern's length alone (about one title in 10,000 for ``%lumiere%``, where a word can be in
a tenth of them), and for a creator with 50,000 assets it fetches and sorts all their thousands
of matches to show the first 20 instead of reading newest first and stopping after a page
(docs/content.md, Search; the plans in docs/benchmark.md, Scale). ``ANALYZE`` reads a sample
(300 x ``default_statistics_target`` rows), seconds even at millions of rows, and takes no lock
that blocks reads or writes.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0009_owner_search_indexes"),
    ]

    operations = [
        migrations.RunSQL("ANALYZE content_assets", migrations.RunSQL.noop),
    ]
