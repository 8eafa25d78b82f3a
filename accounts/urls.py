"""/api routes of the accounts app: auth and API keys (docs/api.md). Sign-up and the profile,
which compose several apps, are ``members.urls``."""

from django.urls import path

from accounts.views import auth, keys, mfa

urlpatterns = [
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
    path("auth/mfa", mfa.MfaStatusView.as_view(), name="auth-mfa"),
    path("auth/mfa/totp", mfa.TotpView.as_view(), name="auth-mfa-totp"),
    path("auth/mfa/totp/confirm", mfa.TotpConfirmView.as_view(), name="auth-mfa-totp-confirm"),
    path(
        "auth/mfa/recovery-codes", mfa.RecoveryCodesView.as_view(), name="auth-mfa-recovery-codes"
    ),
    path("auth/mfa/verify", mfa.MfaVerifyView.as_view(), name="auth-mfa-verify"),
    path("keys", keys.ApiKeyListView.as_view(), name="keys-list"),
    path("keys/<str:key_id>", keys.ApiKeyDetailView.as_view(), name="keys-detail"),
]
