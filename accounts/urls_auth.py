from django.urls import path

from accounts import views_auth

urlpatterns = [
    path("me", views_auth.MeView.as_view(), name="auth-me"),
]
