"""What the import remembers between runs (docs/migration.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

# ``LegacyRecord.source_hash`` of a legacy row that is gone from the old database and whose
# deletion this product has carried over (or settled for good): later runs leave it alone.
GONE = "gone"


class LegacyRecord(models.Model):
    """One legacy row and the row of this product it became.

    A mapping table here rather than a ``legacy_id`` column on every imported model: the other
    apps stay unaware of the import, and a row deleted in this product after an import is told
    apart from one never imported (its record stays, so a later run does not re-create it).

    ``source_hash`` is the md5 of the whole legacy row as last imported, so a re-run knows what
    changed in the old app (``GONE`` once its deletion there was carried over);
    ``target_hash`` is the md5 of the imported columns of our row as the import left it, so a
    re-run knows whether someone changed it here since (then this product's version is kept and
    the conflict is reported). Neither is a secret: the password columns are hashed with the
    rest of the row, never stored or printed apart.

    ``object_id`` is text because one target (allauth's social accounts) has integer keys. It
    never changes once written: the import refuses any write that would point a legacy row at
    another row of ours (``legacy.writer``), which is how a legacy user keeps one account.
    """

    source = models.CharField(max_length=64, help_text="Legacy table name.")
    legacy_id = models.CharField(max_length=255)
    object_id = models.CharField(max_length=64)
    source_hash = models.CharField(max_length=32)
    target_hash = models.CharField(max_length=32, null=True, blank=True)
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


class LegacyResolution(models.Model):
    """Staff's answer for case variants: which legacy user owns ``email`` here.

    Two live legacy users whose addresses differ only in case are two people for the old app
    (its unique index is case-sensitive, it never verified addresses); this product has one
    account per address, case-insensitively. The import holds both back until staff record
    here which one owns the address (``import_legacy --resolve LEGACY_ID``); the next run
    imports that one, the other stays out. A resolution can be replaced or withdrawn until the
    chosen legacy user is imported; from then on its account is found by its legacy id and the
    resolution has done its work.
    """

    email = models.CharField(max_length=254, unique=True, help_text="Normalised address.")
    legacy_id = models.CharField(max_length=255, unique=True, help_text="Legacy user id.")
    resolved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "legacy_resolutions"

    def __str__(self) -> str:
        return f"{self.email} -> {self.legacy_id}"
