"""Log redaction: a JWT in a logged URL never reaches the output."""

from __future__ import annotations

import logging

from app.core.logs import RedactTokens


def test_token_in_query_string_is_redacted():
    """The filter blanks token= values, including in %-style arguments."""
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1,
        '%s - "WebSocket %s" [accepted]', ("127.0.0.1:1", "/ws/chat/abc?token=eyJhbGc.eyJzdWI.sig&x=1"), None,
    )
    assert RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:1 - "WebSocket /ws/chat/abc?token=[redacted]&x=1" [accepted]'
