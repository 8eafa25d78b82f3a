from django.urls import path

from accounts import views_keys

urlpatterns = [
    path("keys", views_keys.ApiKeyListView.as_view(), name="keys-list"),
    path("keys/<str:key_id>", views_keys.ApiKeyDetailView.as_view(), name="keys-detail"),
]
