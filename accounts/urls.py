"""Every /api route of the accounts app: auth, profile and API keys (docs/api.md)."""

from django.urls import path

from accounts.views import auth, keys, users

urlpatterns = [
    path("auth/signup", auth.SignUpView.as_view(), name="auth-signup"),
    path("auth/signin", auth.SignInView.as_view(), name="auth-signin"),
    path("auth/refresh", auth.RefreshView.as_view(), name="auth-refresh"),
    path("auth/signout", auth.SignOutView.as_view(), name="auth-signout"),
    path("auth/me", auth.MeView.as_view(), name="auth-me"),
    path("auth/password/change", auth.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/password/reset", auth.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm",
        auth.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("users/profile", users.ProfileView.as_view(), name="users-profile"),
    path("users/profile/export", users.ProfileExportView.as_view(), name="users-profile-export"),
    path("keys", keys.ApiKeyListView.as_view(), name="keys-list"),
    path("keys/<str:key_id>", keys.ApiKeyDetailView.as_view(), name="keys-detail"),
]
