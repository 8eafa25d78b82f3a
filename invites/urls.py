from django.urls import path

from invites.views import InviteCheckView, InviteDetailView, InviteListCreateView

urlpatterns = [
    path("invites/check", InviteCheckView.as_view(), name="invite-check"),
    path("invites", InviteListCreateView.as_view(), name="invite-list"),
    path("invites/<str:pk>", InviteDetailView.as_view(), name="invite-detail"),
]
