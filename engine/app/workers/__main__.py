"""`python -m app.workers --index N`: run one worker process until SIGTERM."""

from __future__ import annotations

import argparse
import asyncio

from app.core.config import settings_or_exit
from app.core.logs import setup_logging
from app.workers.worker import Worker, consumer_name


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.workers")
    parser.add_argument("--index", type=int, default=1, help="this worker's number, from the launcher")
    args = parser.parse_args()
    settings = settings_or_exit()
    setup_logging(settings.log_level, consumer_name(args.index))
    asyncio.run(Worker(settings, args.index).run())


if __name__ == "__main__":
    main()
