"""Secrets loader (AWS Secrets Manager). The only module that imports boto3.

Placeholder of the foundation: issue 6 builds the loader and the runtime cache.
"""

from __future__ import annotations


def load_database_url() -> str:
    return ""
