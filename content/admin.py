from django.contrib import admin

from content.models import ContentAsset


@admin.register(ContentAsset)
class ContentAssetAdmin(admin.ModelAdmin):
    list_display = ("title", "type", "user", "category", "created_at")
    list_filter = ("type",)
    search_fields = ("title", "user__email")
    list_select_related = ("user",)
