from django.urls import path

from accounts import views_auth

urlpatterns = [
    path("signup", views_auth.SignUpView.as_view(), name="auth-signup"),
    path("signin", views_auth.SignInView.as_view(), name="auth-signin"),
    path("refresh", views_auth.RefreshView.as_view(), name="auth-refresh"),
    path("signout", views_auth.SignOutView.as_view(), name="auth-signout"),
    path("me", views_auth.MeView.as_view(), name="auth-me"),
    path("password/change", views_auth.PasswordChangeView.as_view(), name="auth-password-change"),
    path("password/reset", views_auth.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "password/reset/confirm",
        views_auth.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
]
