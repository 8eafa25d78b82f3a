"""The product's URLs, with the floor in front of them (benchmark only, see bench.settings)."""

from django.urls import path

from bench.views import FloorView
from huntaze import urls as product_urls

urlpatterns = [
    path("bench/floor/<uuid:pk>", FloorView.as_view(), name="bench-floor"),
    *product_urls.urlpatterns,
]

handler400 = product_urls.handler400
handler403 = product_urls.handler403
handler404 = product_urls.handler404
handler500 = product_urls.handler500
