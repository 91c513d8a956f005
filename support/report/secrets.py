"""What never appears in the report: the run's secrets and anything that looks like a
credential, masked as *** wherever the report shows text.

    mask_secrets(text, secrets)     # every attachment, and environment.properties
    secrets_of(suite)               # the secret values this run knows
"""

from __future__ import annotations

import json
import os
import re
from typing import Iterable
from urllib.parse import urlparse

MASK = "***"
MIN_SECRET_LENGTH = 12  # shorter values are masked only where a pattern says they are secret

# Any JWT: three base64url parts, the first a JSON object ('{"' encodes as eyJ).
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# scheme://user:PASSWORD@host, also redis://:PASSWORD@host
_URL_PASSWORD = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@\"']*:)[^@\s/\"']+@")
_BEARER = re.compile(r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}")
# OpenAI-style keys (sk-..., sk-proj-...), wherever they appear.
_SK_KEY = re.compile(r"\bsk-[A-Za-z0-9_-]{16,}")
# name=value, name: value, "name": "value" and ?name=value, for names that say "secret".
_SECRET_SETTING = re.compile(
    r"(?i)(\b[\w.-]*(?:api[_-]?key|apikey|secret|password|passwd|token)\b[\"']?\s*[:=]\s*[\"']?)"
    r"([^\s\"'&,;}]+)")
_SECRET_NAME = re.compile(r"(?i)(api[_-]?key|apikey|secret|password|passwd|token)")


def mask_secrets(text: str, secrets: Iterable[str | None] = ()) -> str:
    """The text with known secrets and anything that looks like a credential replaced by ***.

    secrets are exact values (the JWT secret, API keys); they are also masked in their
    JSON-escaped form. Values shorter than MIN_SECRET_LENGTH are left to the patterns, so a
    password like "postgres" (Supabase's local default) does not erase every mention of
    PostgreSQL.
    """
    if not text:
        return text
    exact = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            exact.add(secret)
            exact.add(json.dumps(secret)[1:-1])
    for secret in sorted(exact, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _JWT.sub(MASK, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _SK_KEY.sub(MASK, text)
    text = _SECRET_SETTING.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return text


def secrets_of(suite) -> list[str]:
    """The secret values this run knows: the JWT secret, passwords in the service URLs, and
    environment variables whose names say they are secret (OPENAI_API_KEY, ...)."""
    found: list[str] = []
    endpoints = getattr(suite, "endpoints", None)
    if endpoints is not None:
        found.append(getattr(endpoints, "jwt_secret", None))
        for name in ("database_url", "redis_url"):
            url = getattr(endpoints, name, None)
            try:
                found.append(urlparse(url).password if url else None)
            except ValueError:
                pass
    found.extend(value for name, value in os.environ.items() if _SECRET_NAME.search(name))
    return [value for value in found if value]
