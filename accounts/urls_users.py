from django.urls import path

from accounts import views_users

urlpatterns = [
    path("profile", views_users.ProfileView.as_view(), name="users-profile"),
    path("profile/export", views_users.ProfileExportView.as_view(), name="users-profile-export"),
]
