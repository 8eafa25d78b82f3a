"""Sign-up (/api/auth/signup) and /api/users (docs/api.md, Auth and Users): the endpoints that
compose several apps. Thin: parse, call one service or selector, render.

API keys: GET /profile needs ``profile:read``. Changing the profile (an email change could
start an account takeover), deleting the account and exporting all data (content, billing and
key metadata together: more than any single scope grants) are refused to API keys (403).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import authentication_reading
from accounts.serializers.auth import AuthOutput, SignUpInput, UserOutput
from accounts.services import tokens
from accounts.services.users import user_profile_update, user_soft_delete
from accounts.views.auth import E400, E429, PublicAuthView
from accounts.views.cookies import clear_auth_cookies, set_auth_cookies
from huntaze.exceptions import EmailTaken
from huntaze.schema import NO_API_KEY, error_response
from huntaze.throttles import PER_IP, RateLimit
from members.selectors import profile_user_read, user_export
from members.serializers import (
    ExportOutput,
    ProfileDeleteInput,
    ProfileOutput,
    ProfileUpdateInput,
)
from members.services import user_signup


class SignUpView(PublicAuthView):
    """Create an account with an invite code; answers the user and a token pair (+ cookies)."""

    rate_limits = [RateLimit("signup_ip", per=PER_IP)]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=SignUpInput,
        responses={
            201: AuthOutput,
            400: E400,
            403: error_response("invite_required"),
            409: error_response(
                "conflict: email already registered",
                ("An account already has this email", EmailTaken),
            ),
            429: E429,
        },
        summary="Sign up with an invite code",
        description=(
            "Creates the account of an invited creator and signs them in: answers the user and "
            "a token pair, and sets the `access_token` and `refresh_token` cookies. The "
            "invite must be pending and issued to this same email (email and code ignore "
            "case); otherwise 403 `invite_required`, whatever the reason. The password needs 8 "
            "characters and must not be too common or too close to the email (400 on "
            "`password`). An email that already has an account is a 409 `conflict`. "
            "Rate limited per IP (429)."
        ),
    )
    def post(self, request):
        data = SignUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_signup(**data.validated_data)
        pair = tokens.auth_tokens_issue(user=user)
        response = Response(
            {"user": UserOutput(user).data, "access": pair.access, "refresh": pair.refresh},
            status=status.HTTP_201_CREATED,
        )
        set_auth_cookies(response, pair)
        return response


class ProfileView(APIView):
    """The signed-in user's profile. Every credential authenticates this view with the
    profile's read (``profile_user_read``: the user, its subscription and stats), so the user in
    ``request.user`` is the profile: GET with a Bearer token or the access cookie is one query.
    PATCH and DELETE read it too (two count subqueries they do not need, on rare requests)."""

    required_scopes = {"GET": "profile:read"}
    authentication_classes = authentication_reading(profile_user_read)

    @extend_schema(
        responses=ProfileOutput,
        tags=["users"],
        summary="The signed-in user's profile",
        description=(
            "The user, their subscription (`FREE`/`ACTIVE` with null dates when they never "
            "subscribed) and `stats`: `content_count` and `ai_generations_this_month` (what "
            "the monthly AI quota counts). With an API key, needs `profile:read`."
        ),
    )
    def get(self, request):
        return Response(ProfileOutput(request.user).data)

    @extend_schema(
        request=ProfileUpdateInput,
        responses={
            200: ProfileOutput,
            400: OpenApiResponse(description="validation_error (also for a read-only field)"),
            409: error_response(
                "conflict: the email is taken", ("Another account has this email", EmailTaken)
            ),
        },
        tags=["users"],
        auth=NO_API_KEY,
        summary="Change name, avatar or email",
        description=(
            "Only `name`, `avatar` (an http(s) URL or null) and `email` may be sent; any other "
            "field is a 400 naming it. A new email becomes the login at once and is recorded "
            "unverified: allauth sends a confirmation link to it."
        ),
    )
    def patch(self, request):
        data = ProfileUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_profile_update(
            user=request.user, request=request._request, **data.validated_data
        )
        return Response(ProfileOutput(profile_user_read(user.pk)).data)  # read back: one query

    @extend_schema(
        request=ProfileDeleteInput,
        responses={
            204: OpenApiResponse(description="Deleted (soft delete)"),
            400: OpenApiResponse(description="validation_error: wrong or missing password"),
        },
        tags=["users"],
        auth=NO_API_KEY,
        summary="Delete the account",
        description=(
            "Needs the current `password` in the body (a wrong one is a 400 on `password`). "
            "The account is deleted at once: sign-in stops working, every token, API key and "
            "session is revoked and the email is freed (it may sign up again with a new "
            "invite). Staff can restore the account for a while. Not possible with an API key."
        ),
    )
    def delete(self, request):
        data = ProfileDeleteInput(data=request.data, context={"user": request.user})
        data.is_valid(raise_exception=True)
        user_soft_delete(user=request.user)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)  # a browser session ends with the account
        return response


class ProfileExportView(APIView):
    @extend_schema(
        responses=ExportOutput,
        tags=["users"],
        auth=NO_API_KEY,
        summary="Export all of the user's data",
        description=(
            "Everything stored about the user, as JSON: `{user, subscription, content, "
            "api_keys}` (keys with their metadata only, revoked ones included; never a "
            "secret). Not possible with an API key."
        ),
    )
    def get(self, request):
        return Response(ExportOutput(user_export(user=request.user)).data)
