from django.contrib import admin

from content.models import AiUsage, ContentAsset


@admin.register(ContentAsset)
class ContentAssetAdmin(admin.ModelAdmin):
    """Read-mostly view of creators' assets: search by title or owner email, filter by type."""

    list_display = ("title", "type", "user", "category", "created_at")
    list_filter = ("type",)
    search_fields = ("title", "user__email")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    raw_id_fields = ("user",)
    readonly_fields = ("id", "created_at", "updated_at")
    show_full_result_count = False


@admin.register(AiUsage)
class AiUsageAdmin(admin.ModelAdmin):
    """AI generations counted per user and month (the quota counter)."""

    list_display = ("user", "month", "count", "updated_at")
    list_filter = ("month",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    ordering = ("-month", "-count")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
