"""What the import remembers of each legacy row it has handled (docs/migration.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LegacyRecord(models.Model):
    """One legacy row and the row of this product it became.

    A mapping table here rather than a ``legacy_id`` column on every imported model: the other
    apps stay unaware of the import, and a row deleted in this product after an import is told
    apart from one never imported (its record stays, so a later run does not re-create it).

    ``source_hash`` is the md5 of the whole legacy row as last imported, so a re-run knows what
    changed in the old app; ``target_hash`` is the md5 of the imported columns of our row as the
    import left it, so a re-run knows whether someone changed it here since (then this
    product's version is kept and the conflict is reported). Neither is a secret: the password
    columns are hashed with the rest of the row, never stored or printed apart.

    ``object_id`` is text because two targets (allauth's social accounts) have integer keys.
    ``merged`` marks a legacy user folded into another legacy user's account (the
    case-duplicate rule): ``object_id`` is then that account.
    """

    source = models.CharField(max_length=64, help_text="Legacy table name.")
    legacy_id = models.CharField(max_length=255)
    object_id = models.CharField(max_length=64)
    source_hash = models.CharField(max_length=32)
    target_hash = models.CharField(max_length=32, null=True, blank=True)
    merged = models.BooleanField(default=False)
    imported_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "legacy_records"
        constraints = [
            models.UniqueConstraint(fields=["source", "legacy_id"], name="legacy_records_unique")
        ]
        indexes = [models.Index(fields=["source", "object_id"], name="legacy_records_object_idx")]

    def __str__(self) -> str:
        return f"{self.source} {self.legacy_id} -> {self.object_id}"
