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


def test_failures_are_one_line_unless_debugging(caplog):
    """log_failure writes one ERROR line with the exception; the traceback only at DEBUG."""
    from app.core.logs import log_failure

    logger = logging.getLogger("grizz.test")
    logger.setLevel(logging.INFO)
    try:
        raise ValueError("bad thing")
    except ValueError:
        log_failure(logger, "job_id=%s failed", "j1")
    [record] = caplog.records
    assert record.getMessage() == "job_id=j1 failed (ValueError: bad thing)"
    assert not record.exc_info
