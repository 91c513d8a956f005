"""JWTs as Supabase issues them, for the users each scenario makes."""

from __future__ import annotations

import time

import jwt


def user_token(user_id: str, secret: str, lifetime_s: int = 3600,  # default one hour
               audience: str = "authenticated",  # default: what Supabase puts in
               role: str = "authenticated") -> str:
    """A signed HS256 access token for user_id; a negative lifetime makes it expired."""
    now = int(time.time())
    claims = {"sub": user_id, "role": role, "aud": audience, "iat": now,
              "exp": now + lifetime_s}
    return jwt.encode(claims, secret, algorithm="HS256")
