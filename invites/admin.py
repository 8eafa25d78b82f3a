from django.contrib import admin

from invites.models import BetaInvite


@admin.register(BetaInvite)
class BetaInviteAdmin(admin.ModelAdmin):
    list_display = ("email", "code", "status", "created_at", "sent_at", "used_at", "used_by")
    search_fields = ("email", "code")
    list_select_related = ("used_by",)
    readonly_fields = ("code", "used_at", "used_by", "created_by", "sent_at", "created_at")
