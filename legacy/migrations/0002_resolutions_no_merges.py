"""Case variants are held for staff (``LegacyResolution``), never merged; the role is no longer
imported; Google accounts get a target hash, so an unlink in the old app can be carried over.

Records written by earlier runs are brought in line, in SQL, without touching any row they
point at:

* a user record ``merged`` into another legacy user's account is removed: that legacy user
  was never imported under its own id, and goes through the case-variant rule at the next run
  (what the merge put into the other account stays there: the import never moves a row
  between accounts, and reports it);
* a user record's ``target_hash`` is recomputed without ``role`` where it still matched our
  row (a row changed here since keeps its old hash, so it still reads as changed here);
* a Google account record gets the hash of the social account as it is now.
"""

import django.utils.timezone
from django.db import migrations, models

OLD_USER_HASH = (
    'md5(ROW(t."email", t."name", t."avatar", t."subscription", t."stripe_customer_id", '
    't."role", t."is_active", t."deleted_at", t."created_at", t."updated_at")::text)'
)
NEW_USER_HASH = (
    'md5(ROW(t."email", t."name", t."avatar", t."subscription", t."stripe_customer_id", '
    't."is_active", t."deleted_at", t."created_at", t."updated_at")::text)'
)

FORWARD = f"""
DELETE FROM legacy_records WHERE source = 'users' AND merged;
UPDATE legacy_records m SET target_hash = {NEW_USER_HASH}
  FROM users t
 WHERE m.source = 'users' AND t.id = m.object_id::uuid AND m.target_hash = {OLD_USER_HASH};
UPDATE legacy_records m SET target_hash = md5(ROW(t."user_id", t."provider", t."uid")::text)
  FROM socialaccount_socialaccount t
 WHERE m.source = 'accounts' AND t.id = m.object_id::integer AND m.target_hash IS NULL;
"""  # noqa: S608 - constants of this file
BACKWARD = f"""
UPDATE legacy_records m SET target_hash = {OLD_USER_HASH}
  FROM users t
 WHERE m.source = 'users' AND t.id = m.object_id::uuid AND m.target_hash = {NEW_USER_HASH};
UPDATE legacy_records SET target_hash = NULL WHERE source = 'accounts';
"""  # noqa: S608 - constants of this file


class Migration(migrations.Migration):
    dependencies = [
        ("legacy", "0001_initial"),
        ("accounts", "0005_admin_labels"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
    ]

    operations = [
        migrations.CreateModel(
            name="LegacyResolution",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "email",
                    models.CharField(help_text="Normalised address.", max_length=254, unique=True),
                ),
                (
                    "legacy_id",
                    models.CharField(help_text="Legacy user id.", max_length=255, unique=True),
                ),
                ("resolved_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"db_table": "legacy_resolutions"},
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RemoveField(model_name="legacyrecord", name="merged"),
    ]
