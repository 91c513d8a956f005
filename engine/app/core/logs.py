"""Logging set-up shared by the launcher, the API and the workers.

One line per event on stderr (children inherit the launcher's). Tokens travel in the
WebSocket query string and uvicorn logs request paths, so every line passes through a
filter that blanks `token=` values: a JWT must never reach a log.
"""

from __future__ import annotations

import logging
import re
import sys

_TOKEN = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token=" in message.lower():
            record.msg = _TOKEN.sub(r"\1[redacted]", message)
            record.args = None
        return True


def setup_logging(level: str, component: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s {component} %(name)s: %(message)s")
    )
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The HTTP client logs every request at INFO; that is noise at our scale.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
