"""The run-wide side of the suite: the engine it talks to and the probes that watch it.

    suite = Suite.attach(config)   # before_all: start the embedded stack or attach
    suite.run(coroutine, within_s, what)
    suite.detach()                 # after_all, and at exit
"""

from __future__ import annotations

import asyncio
import atexit
import re
import urllib.request
from dataclasses import dataclass, field

import asyncpg
import redis

from support.config import SuiteConfig
from support.happenings import Happenings
from support.probes.database import DatabaseProbe
from support.stack.servers import ServerFaults
from support.loop import BackgroundLoop
from support.model.control import ModelControl
from support.stack.processes import StackError
from support.stack.queue_filler import QueueFiller
from support.probes.job_queue import QueueProbe
from support.stack.embedded import EmbeddedStack
from support.stack.endpoints import Endpoints
from support.stack.workers import WorkerControl


@dataclass
class Suite:
    config: SuiteConfig
    endpoints: Endpoints
    loop: BackgroundLoop
    queue: QueueProbe
    db: DatabaseProbe
    model: ModelControl | None
    filler: QueueFiller
    stack: EmbeddedStack | None = None
    happenings: Happenings = field(default_factory=Happenings)  # what the suite did, for the timeline

    @property
    def workers(self) -> WorkerControl:
        """Control of the worker processes: only where the suite runs them itself."""
        assert self.stack is not None, "operating the workers needs the embedded stack"
        return WorkerControl(self.stack.services["engine"].process.pid, self.queue,
                             happenings=self.happenings)

    @property
    def servers(self) -> ServerFaults:
        """Faults of Redis, PostgreSQL and the API process: only where the suite runs them."""
        assert self.stack is not None, "operating the servers needs the embedded stack"
        if getattr(self, "_servers", None) is None:
            self._servers = ServerFaults(self)
        return self._servers

    @classmethod
    def attach(cls, config: SuiteConfig, process: str | None = None) -> "Suite":
        """Start the embedded stack, or attach to the external engine; connect the probes.
        process names this process in a parallel run (its stack's logs folder)."""
        stack = None
        if config.external:
            endpoints = Endpoints(config.engine_url, config.redis_url, config.database_url,
                                  config.jwt_secret, config.model_url)
            require_engine(endpoints.engine_url)
        else:
            stack = EmbeddedStack(config, process)
            endpoints = stack.start()
        loop = BackgroundLoop()
        try:
            queue = loop.run(reach(_make_queue_probe(endpoints.redis_url), "Redis",
                                   endpoints.redis_url, "GRIZZ_REDIS_URL"), 15, "Redis")
            db = loop.run(reach(DatabaseProbe.connect(endpoints.database_url), "PostgreSQL",
                                endpoints.database_url, "GRIZZ_DATABASE_URL"), 15, "PostgreSQL")
        except BaseException:
            loop.close()
            if stack:
                stack.stop()
            raise
        model = ModelControl(endpoints.model_url) if endpoints.model_url else None
        suite = cls(config, endpoints, loop, queue, db, model, QueueFiller(endpoints.redis_url),
                    stack)
        # Also on SIGTERM or Ctrl-C: the probes let go before the servers stop.
        atexit.register(suite.detach)
        return suite

    def run(self, coroutine, within_s: float, what: str):
        return self.loop.run(coroutine, within_s, what)

    def detach(self):
        """Close the probes, then stop the stack; a second call does nothing."""
        if self.loop.loop.is_closed():
            return
        for probe in (self.queue, self.db, self.filler):
            try:
                self.run(probe.close(), 5, "closing a probe")
            except Exception:  # the stack may already be gone; stopping matters more
                pass
        self.loop.close()
        if self.stack:
            self.stack.stop()


def require_engine(engine_url: str):
    """The engine answers its health check, or the run stops with a sentence saying so."""
    health = engine_url.replace("ws", "http", 1) + "/health"
    try:
        with urllib.request.urlopen(health, timeout=5) as response:
            if response.status == 200:
                return
    except OSError as error:
        raise StackError(f"cannot reach the engine at {engine_url} ({error}): start it "
                         "(python launcher.py --workers 2) or fix GRIZZ_ENGINE_URL") from None
    raise StackError(f"the engine at {engine_url} answered {health} with "
                     f"{response.status}: check that GRIZZ_ENGINE_URL points at the engine")


async def reach(connecting, what: str, url: str, variable: str):
    """Await a connection; a refusal becomes one sentence naming the setting to fix."""
    try:
        return await asyncio.wait_for(connecting, 10)
    except (OSError, asyncio.TimeoutError, redis.RedisError, asyncpg.PostgresError) as error:
        shown = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
        raise StackError(f"cannot reach {what} at {shown} ({error or type(error).__name__}): "
                         f"start it or fix {variable}") from None


async def _make_queue_probe(url: str) -> QueueProbe:
    probe = QueueProbe(url)
    await probe.redis.ping()
    return probe
