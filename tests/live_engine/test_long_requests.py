"""However long the address, the engine answers at once: a close code or an HTTP 400."""

from __future__ import annotations

import time
import uuid

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.live_engine.test_refusals_logged import close_code

ANSWER_WITHIN_S = 5


def test_a_token_of_100_kb_is_refused_with_4401(fuzz_engine):
    """The contract's longest request that must reach the endpoint gets its close code."""
    endpoints = fuzz_engine[0].endpoints
    assert close_code(endpoints, str(uuid.uuid4()), "t" * 100_000) == 4401


def test_a_far_longer_request_is_refused_at_once(fuzz_engine):
    """A 1 MB address is refused with HTTP 400 before the upgrade, not left hanging."""
    endpoints = fuzz_engine[0].endpoints
    started = time.monotonic()
    with pytest.raises(InvalidStatus) as refused:
        with connect(f"{endpoints.engine_url}/ws/chat/{uuid.uuid4()}?token={'t' * 1_000_000}",
                     open_timeout=ANSWER_WITHIN_S * 2):
            pass
    assert refused.value.response.status_code == 400
    assert time.monotonic() - started < ANSWER_WITHIN_S, "the refusal took too long"
