"""Contract fuzzing: schemathesis drives every operation of the OpenAPI schema in-process.

See docs/robustness.md for the setup, the identities, the budget and every exclusion.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    positive_data_acceptance,
    response_schema_conformance,
)

from accounts.services.tokens import access_token_issue
from huntaze.wsgi import application
from tests import factories
from tests.conftest import assert_error
from tests.robustness.conftest import ALL_SCOPES

schema = schemathesis.openapi.from_wsgi("/api/schema", application)

# The webhook has its own suite (tests/billing/test_webhook_*.py): without a valid
# Stripe-Signature every fuzzed body is the same 400 invalid_signature.
schema = schema.exclude(path="/api/billing/webhook")

# Schema-valid strings are text PostgreSQL can store: no NUL byte (the generator's default
# codec, utf-8, already keeps lone surrogates out). NUL and lone surrogates are hostile input,
# refused with a 400 by every text field (tests/robustness/test_hostile_input.py); the
# negative phase still sends them wherever the schema alone makes a value invalid.
schema.config.generation.update(allow_x00=False)

MAX_EXAMPLES = 100
_examples = itertools.count()

# Operations whose success needs a secret no generator can produce (the current password, a
# reset token sent by email, a password that passes Django's validators, an invite code sent
# by email): a schema-valid body is still a 400 by contract (docs/api.md, Auth and Users), so the
# "schema-valid request rejected" check does not apply to them. All other checks do.
BUSINESS_SECRETS = {
    "POST /api/auth/password/change",
    "POST /api/auth/password/reset/confirm",
    "POST /api/auth/signup",
    "DELETE /api/users/profile",
    # avatar: Django's URLValidator refuses host names over 253 characters (and a few other
    # URLs) that JSON Schema's "format: uri" allows.
    "PATCH /api/users/profile",
    # A current two-factor code (computed from a secret) or a live mfa_token from sign-in.
    "POST /api/auth/mfa/totp/confirm",
    "DELETE /api/auth/mfa/totp",
    "POST /api/auth/mfa/recovery-codes",
    "POST /api/auth/mfa/verify",
    # expires_at must be in the future: a bound relative to "now" that a schema cannot state.
    "POST /api/keys",
}

pytestmark = [pytest.mark.slow]


@pytest.fixture
def identities(stripe_standin, ai_standin, high_rate_limits):
    creator_a = factories.make_user(email="fuzz-a@example.test")
    creator_b = factories.make_user(email="fuzz-b@example.test")
    admin = factories.make_admin(email="fuzz-admin@example.test")
    _, raw_key = factories.make_api_key(user=creator_a, permissions=ALL_SCOPES, name="fuzz")
    assets = [factories.make_asset(user=creator_a) for _ in range(3)]
    return {
        "creator_a": f"Bearer {access_token_issue(user=creator_a)}",
        "creator_b": f"Bearer {access_token_issue(user=creator_b)}",
        "admin": f"Bearer {access_token_issue(user=admin)}",
        "api_key": f"Api-Key {raw_key}",
        "asset_ids": [str(a.id) for a in assets],
    }


def _security_names(case) -> set[str]:
    names: set[str] = set()
    for requirement in case.operation.definition.raw.get("security", []):
        names.update(requirement)
    return names


@schema.parametrize()
@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_contract(case, identities):
    n = next(_examples)
    security = _security_names(case)
    headers = {}
    if security:
        if case.path.startswith("/api/invites"):
            headers["Authorization"] = identities["admin"]
        elif "apiKeyAuth" in security and n % 2:
            headers["Authorization"] = identities["api_key"]
        else:
            headers["Authorization"] = identities["creator_a"]
    if case.path_parameters and "asset_id" in case.path_parameters and n % 2 == 0:
        case.path_parameters["asset_id"] = identities["asset_ids"][0]
    excluded = [positive_data_acceptance] if case.operation.label in BUSINESS_SECRETS else []
    case.call_and_validate(
        headers=headers,
        additional_checks=[ignored_auth, response_schema_conformance],
        excluded_checks=excluded,
    )


# --- object-level authorization --------------------------------------------------------------
# schemathesis' object_level_authorization check needs values drawn from an owner's earlier
# responses (its stateful runner); in this per-operation pytest run it has nothing to replay.
# So this explicit test does the job for every path of the schema with a path parameter:
# creator A owns an object, creator B (and B's all-scope API key) gets a 404 on every method,
# and A's object is untouched. A new {id} path fails the test until it gets an owner below.


def _own_asset(user):
    return str(factories.make_asset(user=user).id)


def _own_key(user):
    key, _ = factories.make_api_key(user=user, permissions=ALL_SCOPES)
    return str(key.id)


OWNED = {"/api/content/{asset_id}": _own_asset, "/api/keys/{key_id}": _own_key}
# Invites belong to no creator: the whole resource is ADMIN-only, so a creator gets 403 there
# (tests/invites covers it); listed so the completeness assertion below knows about it.
ADMIN_ONLY = {"/api/invites/{id}"}


@pytest.mark.django_db(transaction=False)
def test_another_creators_object_is_404_on_every_method(api_client):
    from rest_framework.test import APIClient

    a, b = factories.make_user(), factories.make_user()
    _, b_key = factories.make_api_key(user=b, permissions=ALL_SCOPES)
    bodies = {"patch": {"title": "pwned"}, "put": {"title": "pwned"}}
    paths = {
        path: methods
        for path, methods in schema.raw_schema["paths"].items()
        if "{" in path and path not in ADMIN_ONLY
    }
    assert set(paths) == set(OWNED), "a new path with an id needs an owner factory here"
    for path, methods in paths.items():
        object_id = OWNED[path](a)
        url = path.split("{")[0] + object_id
        for method in methods:
            for credentials in (f"Bearer {access_token_issue(user=b)}", f"Api-Key {b_key}"):
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=credentials)
                response = getattr(client, method)(url, bodies.get(method), format="json")
                if credentials.startswith("Api-Key") and "apiKeyAuth" not in str(
                    methods[method].get("security")
                ):
                    assert response.status_code == 403, (method, url, response.status_code)
                    continue
                assert_error(response, 404, "not_found")
        owner = factories.auth_client(a)
        if path.startswith("/api/content"):
            assert owner.get(url).json()["title"] != "pwned"
        else:
            assert object_id in {k["id"] for k in owner.get("/api/keys").json()["results"]}
