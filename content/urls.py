from django.urls import path

from content import views

# "generate" before the detail route, whose id is parsed by the view (malformed id: 404).
urlpatterns = [
    path("content", views.ContentListView.as_view(), name="content-list"),
    path("content/generate", views.ContentGenerateView.as_view(), name="content-generate"),
    path("content/<str:asset_id>", views.ContentDetailView.as_view(), name="content-detail"),
]
