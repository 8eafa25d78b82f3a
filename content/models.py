"""Content assets and the AI quota counter (docs/data-model.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Bounds of what the API accepts (docs/api.md, Content). The columns have no length limit:
# rows imported from the Prisma-era app were never held to these bounds (docs/migration.md).
TITLE_MAX = 200
CONTENT_MAX = 20_000
CATEGORY_MAX = 100
TAGS_MAX = 20
TAG_MAX = 50
METADATA_MAX_BYTES = 16 * 1024
METADATA_MAX_DEPTH = 32
PROMPT_MAX = 2_000


class SearchFold(models.Func):
    """``search_fold(text)``: lower-cased and unaccented, so "Lumière" and "LUMIERE" match.

    An IMMUTABLE SQL wrapper around PostgreSQL's ``unaccent`` (migration 0005): ``unaccent``
    itself is only STABLE (its dictionary could change), so it cannot appear in an index
    expression. The wrapper names the dictionary explicitly, which makes it safe to declare
    immutable and lets the trigram indexes below hold ``search_fold(title)``.
    """

    function = "search_fold"
    arity = 1
    output_field = models.TextField()


class ContentType(models.TextChoices):
    POST = "POST", _("Publication")
    STORY = "STORY", _("Story")
    VIDEO = "VIDEO", _("Vidéo")
    IMAGE = "IMAGE", _("Image")
    CAPTION = "CAPTION", _("Légende")


class ContentAsset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="content_assets",
        verbose_name=_("créateur"),
    )
    title = models.CharField(_("titre"), max_length=None)
    content = models.TextField(_("texte"), blank=True, default="")
    type = models.CharField(_("type"), max_length=16, choices=ContentType.choices)
    category = models.CharField(_("catégorie"), max_length=None, null=True, blank=True)
    tags = ArrayField(
        models.CharField(max_length=None), default=list, blank=True, verbose_name=_("tags")
    )
    metadata = models.JSONField(_("métadonnées"), default=dict, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        db_table = "content_assets"
        verbose_name = _("contenu")
        verbose_name_plural = _("contenus")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="content_user_created_idx"),
            models.Index(fields=["user", "type", "-created_at"], name="content_user_type_idx"),
            models.Index(fields=["created_at"], name="content_created_idx"),
            GinIndex(fields=["tags"], name="content_tags_gin"),
            # ``?q=`` search (content.selectors.search_q): ``search_fold(col) LIKE '%…%'`` within
            # one creator's assets. Trigram GIN indexes that lead with the owner (btree_gin for
            # the uuid; migration 0009): PostgreSQL intersects the creator's entries with the
            # query's trigrams inside the index, so a search reads that creator's matches, not
            # every creator's (docs/content.md, Search).
            GinIndex(
                F("user"),
                OpClass(SearchFold("title"), name="gin_trgm_ops"),
                name="content_title_owner_trgm",
            ),
            GinIndex(
                F("user"),
                OpClass(SearchFold("content"), name="gin_trgm_ops"),
                name="content_body_owner_trgm",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CreatorContentCount(models.Model):
    """How many assets a creator has: the profile's ``stats.content_count`` without a count.

    Maintained by triggers on ``content_assets`` (migration 0008, ``content/counts.py``) in the
    transaction that inserts, deletes or moves an asset, so it is exact at every commit. No
    foreign key: the row may outlive the user (its count is 0 by then) and the trigger never
    waits on the ``users`` row. ``manage.py validate_database`` compares it with the table.
    """

    user_id = models.UUIDField(primary_key=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "content_creator_counts"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.count}"


class ContentActivityBucket(models.Model):
    """Assets created in one quarter of an hour (UTC): the dashboard's "content per day".

    Every time zone's offset is a whole number of quarter hours, so a day in any zone is the
    sum of whole buckets: 96 rows a day, whatever the number of assets. Maintained by the same
    triggers as ``CreatorContentCount`` (an asset's ``created_at`` decides its bucket).
    """

    bucket = models.DateTimeField(primary_key=True)
    assets = models.BigIntegerField(default=0)

    class Meta:
        db_table = "content_activity_buckets"

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:%M}: {self.assets}"


class AiUsage(models.Model):
    """Successful-or-in-flight AI generations of one user in one calendar month (UTC).

    The quota is enforced on this counter, not by counting assets: a slot is reserved with one
    conditional ``INSERT … ON CONFLICT DO UPDATE … WHERE count < quota`` before the model is
    called and released if the generation fails, so concurrent requests cannot overshoot it.
    A new month is a new row, which is how the quota resets.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ai_usage",
        verbose_name=_("créateur"),
    )
    month = models.DateField(_("mois"), help_text=_("Premier jour du mois (UTC)."))
    count = models.PositiveIntegerField(_("générations"), default=0)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        db_table = "content_ai_usage"
        verbose_name = _("utilisation de l'IA")
        verbose_name_plural = _("utilisation de l'IA")
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="content_ai_usage_user_month")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}: {self.count}"


class AiGeneration(models.Model):
    """One successful AI generation and its tokens: the ledger of what the AI cost.

    Written in the transaction that saves the generated asset. It outlives the asset (a creator
    may delete it, or rewrite its ``metadata``, which is theirs to edit) and the user (purged
    users leave their rows with ``user`` empty): what was spent stays spent. The dashboard's
    generations per day read it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="ai_generations",
    )
    asset = models.ForeignKey(ContentAsset, null=True, on_delete=models.SET_NULL, related_name="+")
    model = models.CharField(max_length=100)
    prompt_tokens = models.PositiveIntegerField()
    completion_tokens = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "content_ai_generations"
        indexes = [models.Index(fields=["created_at"], name="content_ai_gen_created_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.prompt_tokens}+{self.completion_tokens}"


class AiBudgetMonth(models.Model):
    """The whole instance's AI tokens of one calendar month (UTC), and the generations in flight.

    The budget guard (``content/ai_usage.py``) admits a generation with one conditional upsert of
    this row (``… WHERE spent + reserved_usd < budget``): every admission of the month takes its
    row lock in turn, so concurrent requests cannot all slip under the budget. ``reserved_usd`` is
    the worst-case cost of the generations admitted and not yet finished; it is replaced by the
    real tokens when one succeeds and given back when one fails.
    """

    month = models.DateField(unique=True, help_text="First day of the month (UTC).")
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    reserved_usd = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    in_flight = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "content_ai_budget"

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.prompt_tokens}+{self.completion_tokens} tokens"


class AiReservation(models.Model):
    """One AI generation in flight: the worst case it reserved on the month's budget.

    Written with the admission (``ai_generation_admit``) and deleted by whatever ends the
    generation: its settle (success) or its release (failure). A row older than the generation's
    time bound belongs to a generation that died without either (a worker killed mid-answer):
    the periodic sweep (``ai_reservations_release_stale``) gives its quota slot and its
    reservation back. Deleting the row is what makes settle, release and the sweep exclusive:
    only the one whose ``DELETE`` removed it gives the reservation back.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    month = models.DateField()
    reserved_usd = models.DecimalField(max_digits=14, decimal_places=6)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "content_ai_reservations"
        indexes = [models.Index(fields=["created_at"], name="content_ai_resv_created_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.reserved_usd} USD since {self.created_at:%H:%M:%S}"
