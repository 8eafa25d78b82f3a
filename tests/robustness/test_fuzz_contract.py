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

from huntaze.wsgi import application
from tests import factories
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
# by email): a schema-valid body is still a 400 by contract (SPEC 4.1/4.2), so the
# "schema-valid request rejected" check does not apply to them. All other checks do.
BUSINESS_SECRETS = {
    "POST /api/auth/password/change",
    "POST /api/auth/password/reset/confirm",
    "POST /api/auth/signup",
    "DELETE /api/users/profile",
    # avatar: Django's URLValidator refuses host names over 253 characters (and a few other
    # URLs) that JSON Schema's "format: uri" allows.
    "PATCH /api/users/profile",
    # expires_at must be in the future: a bound relative to "now" that a schema cannot state.
    "POST /api/keys",
}

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def identities(stripe_standin, ai_standin, high_rate_limits):
    creator_a = factories.make_user(email="fuzz-a@example.test")
    creator_b = factories.make_user(email="fuzz-b@example.test")
    admin = factories.make_admin(email="fuzz-admin@example.test")
    _, raw_key = factories.make_api_key(user=creator_a, permissions=ALL_SCOPES, name="fuzz")
    assets = [factories.make_asset(user=creator_a) for _ in range(3)]
    from accounts.tokens import access_token_issue

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
