"""/api routes that compose several apps: sign-up with an invite, the profile, the export."""

from django.urls import path

from members import views

urlpatterns = [
    path("auth/signup", views.SignUpView.as_view(), name="auth-signup"),
    path("users/profile", views.ProfileView.as_view(), name="users-profile"),
    path("users/profile/export", views.ProfileExportView.as_view(), name="users-profile-export"),
]
