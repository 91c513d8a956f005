"""Logging set-up shared by the launcher, the API and the workers.

One line per event on stderr (children inherit the launcher's). Tokens travel in the
WebSocket query string and uvicorn logs request paths, so every line passes through a
filter that blanks `token=` values: a JWT must never reach a log.
"""

from __future__ import annotations

import asyncio
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


def log_failure(logger: logging.Logger, message: str, *args: object) -> None:
    """One ERROR line naming the exception; the traceback only when LOG_LEVEL is DEBUG.

    Call from an `except` block. Keeps the log at one line per event under load.
    """
    error = sys.exc_info()[1]
    logger.error(message + " (%s: %s)", *args, type(error).__name__, error,
                 exc_info=logger.isEnabledFor(logging.DEBUG))


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


class Tally:
    """Counts a frequent event and logs one line per `interval_s` for all of them.

    Under load an event per message (a refusal, say) would be a log line per message;
    this says how many there were, with the details of the last one.
    """

    def __init__(self, logger: logging.Logger, level: int, message: str, interval_s: float = 1.0) -> None:
        self._logger = logger
        self._level = level
        self._message = message  # formatted with count=, seconds=, and the last add()'s fields
        self._interval_s = interval_s
        self._count = 0
        self._last: dict[str, object] = {}

    def add(self, **details: object) -> None:
        if self._count == 0:
            asyncio.get_running_loop().call_later(self._interval_s, self._flush)
        self._count += 1
        self._last = details

    def _flush(self) -> None:
        if self._count:
            self._logger.log(self._level, self._message.format(
                count=self._count, seconds=self._interval_s, **self._last))
        self._count = 0
