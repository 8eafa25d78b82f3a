from django.contrib import admin

from accounts.models import ApiKey, RefreshToken, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = (
        "email",
        "name",
        "role",
        "subscription",
        "is_active",
        "deleted_at",
        "created_at",
    )
    list_filter = ("subscription", "role", "is_active")
    search_fields = ("email", "name")
    ordering = ("-created_at",)
    # Never the password hash: only safe fields are editable or shown.
    fields = (
        "id",
        "email",
        "name",
        "avatar",
        "role",
        "subscription",
        "stripe_customer_id",
        "is_active",
        "deleted_at",
        "created_at",
        "updated_at",
        "last_login",
    )
    readonly_fields = (
        "id",
        "stripe_customer_id",
        "deleted_at",
        "created_at",
        "updated_at",
        "last_login",
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "user",
        "permissions",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    search_fields = ("name", "prefix", "user__email")
    list_select_related = ("user",)
    exclude = ("key_hash",)
    readonly_fields = ("user", "prefix", "permissions", "last_used_at", "created_at")


@admin.register(RefreshToken)
class RefreshTokenAdmin(admin.ModelAdmin):
    list_display = ("jti", "user", "family", "expires_at", "used_at", "revoked_at", "created_at")
    search_fields = ("user__email", "jti")
    list_select_related = ("user",)
    exclude = ("token_hash",)
    readonly_fields = ("user", "jti", "family", "expires_at", "used_at", "created_at")
