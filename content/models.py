"""Content assets and the AI quota counter (docs/data-model.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Bounds of what the API accepts (docs/api.md, Content); the columns are sized from them.
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

    An IMMUTABLE SQL wrapper around PostgreSQL's ``unaccent`` (migration 0003): ``unaccent``
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
    title = models.CharField(_("titre"), max_length=TITLE_MAX)
    content = models.TextField(_("texte"), blank=True, default="")
    type = models.CharField(_("type"), max_length=16, choices=ContentType.choices)
    category = models.CharField(_("catégorie"), max_length=CATEGORY_MAX, null=True, blank=True)
    tags = ArrayField(
        models.CharField(max_length=TAG_MAX), default=list, blank=True, verbose_name=_("tags")
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
            # ``?q=`` search (content.selectors.search_q): ``search_fold(col) LIKE '%…%'``, which
            # a trigram GIN index on the same expression serves, so a substring search that
            # ignores case and accents stays an index scan as content grows (pg_trgm, unaccent;
            # migration 0003).
            GinIndex(
                OpClass(SearchFold("title"), name="gin_trgm_ops"), name="content_title_fold_trgm"
            ),
            GinIndex(
                OpClass(SearchFold("content"), name="gin_trgm_ops"), name="content_body_fold_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.title


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
