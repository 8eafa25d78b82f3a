"""``manage.py check_secrets``: is every configured secret there? (docs/api.md, Operations)

Fetches each secret afresh (no cache) and reports, per secret and per key, ``ok`` with where the
value comes from (``secret`` or ``environment``) or what is missing. Never prints a value.

Required: the database (its secret, or ``DATABASE_URL``) — without it the app cannot start, so
the command exits 1. Stripe and Azure keys are features: when missing, billing or AI generation
answers 503 and the rest of the product works, so they are reported as ``MISSING`` but only
fail the command with ``--strict`` (use it in a production release check).
"""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from huntaze import secrets

FEATURES = {"stripe": "billing", "azure": "AI generation"}


class Command(BaseCommand):
    help = "Fetch each configured secret and report ok or what is missing (never a value)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON report")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="also exit 1 when a Stripe or Azure key is missing (features answer 503)",
        )

    def handle(self, *args, **options):
        aws = str(settings.SECRETS_BACKEND).strip().lower() == "aws"
        report = [self._database(aws)]
        for kind in ("stripe", "azure"):
            report.append(self._feature(kind, aws))

        failed = [s["name"] for s in report if not s["ok"] and s["required"]]
        if options["strict"]:
            failed += [s["name"] for s in report if not s["ok"] and not s["required"]]
        result = {"ok": not failed, "backend": "aws" if aws else "env", "secrets": report}

        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self._print(result)
        if failed:
            raise CommandError("missing required secrets: " + ", ".join(failed), returncode=1)

    # --- checks ----------------------------------------------------------------------------------

    def _fetch(self, kind: str, aws: bool) -> tuple[dict[str, str] | None, str]:
        if not aws:
            return None, "not used (SECRETS_BACKEND=env)"
        try:
            return secrets.fetch_secret(secrets.secret_id(kind)), "ok"
        except secrets.SecretFetchError as exc:
            return None, f"failed: {exc.reason}"

    def _database(self, aws: bool) -> dict:
        sid = secrets.secret_id("database") if aws else None
        values, fetch = self._fetch("database", aws)
        source, detail = None, ""
        if values is not None:
            try:
                secrets.database_url_from_secret(values, sid)
                source = "secret"
            except secrets.SecretKeyMissing as exc:
                detail = f"the secret has no {', '.join(exc.keys)}"
            except Exception as exc:  # e.g. a non-PostgreSQL engine; the message has no value
                detail = str(exc)
        if source is None and os.environ.get("DATABASE_URL"):
            source = "environment"
        if source is None and not aws and settings.DATABASE_EMBEDDED_FALLBACK:
            source = "embedded development server"
        key = {"key": "DATABASE_URL", "ok": source is not None, "source": source}
        if source is None:
            key["detail"] = detail or "DATABASE_URL is not set"
        return {
            "name": "database",
            "id": sid,
            "fetch": fetch,
            "required": True,
            "ok": key["ok"],
            "keys": [key],
        }

    def _feature(self, kind: str, aws: bool) -> dict:
        sid = secrets.secret_id(kind) if aws else None
        values, fetch = self._fetch(kind, aws)
        required = secrets.REQUIRED_KEYS[kind]
        keys = []
        for name in secrets.SECRET_KEYS[kind]:
            if values is not None and values.get(name):
                source = "secret"
            elif getattr(settings, name, ""):
                source = "environment"
            else:
                source = None
            keys.append(
                {"key": name, "ok": source is not None or name not in required, "source": source}
            )
        return {
            "name": kind,
            "id": sid,
            "fetch": fetch,
            "required": False,
            "feature": FEATURES[kind],
            "ok": all(k["ok"] for k in keys),
            "keys": keys,
        }

    # --- output ----------------------------------------------------------------------------------

    def _print(self, result: dict) -> None:
        write = self.stdout.write
        write(f"secrets backend: {result['backend']}")
        for secret in result["secrets"]:
            where = f" ({secret['id']})" if secret["id"] else ""
            write(f"{secret['name']}{where}: fetch {secret['fetch']}")
            for key in secret["keys"]:
                if key["source"]:
                    line = f"  {key['key']}: ok ({key['source']})"
                elif key["ok"]:
                    line = f"  {key['key']}: not set (optional)"
                elif secret["required"]:
                    line = f"  {key['key']}: MISSING ({key.get('detail', 'not set')})"
                else:
                    line = f"  {key['key']}: MISSING ({secret['feature']} answers 503)"
                write(line)
        write("result: ok" if result["ok"] else "result: FAILED")
