"""Creators' content in the admin: read-mostly (docs/admin.md).

Staff may correct or delete an asset (moderation) but never create one for a creator; the AI
usage counter is what the monthly quota is enforced on, so it is read-only.
"""

from django.contrib import admin

from content.models import AiUsage, ContentAsset
from huntaze.admin_site import ReadOnlyModelAdmin


@admin.register(ContentAsset)
class ContentAssetAdmin(admin.ModelAdmin):
    """Search by title or owner email, filter by type."""

    list_display = ("title", "type", "user", "category", "created_at")
    list_filter = ("type",)
    search_fields = ("title", "user__email")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    raw_id_fields = ("user",)
    readonly_fields = ("id", "user", "created_at", "updated_at")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AiUsage)
class AiUsageAdmin(ReadOnlyModelAdmin):
    """AI generations counted per user and month (the quota counter)."""

    list_display = ("user", "month", "count", "updated_at")
    list_filter = ("month",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    ordering = ("-month", "-count")
