"""The embedded stack: real PostgreSQL, Redis, the scriptable model and the engine, started
on free loopback ports in a scratch directory, with their logs kept under reports/stack/
(reports/stack/<process>/ for each process of a parallel run).

    stack = EmbeddedStack(config)
    endpoints = stack.start()   # bounded waits; StackError with one sentence on failure
    ...
    stack.stop()                # also registered with atexit, so Ctrl-C stops it too

Fault scenarios also stop, start and restart the servers one at a time (same port, same
data), and run the engine against other addresses (a latency proxy) for a while:

    stack.stop_server("redis"); stack.start_server("redis"); stack.restart_server("postgres")
    stack.restart_engine(redis_url=..., database_url=...)   # restart_engine() goes back
"""

from __future__ import annotations

import atexit
import dataclasses
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import redis

from support.config import REPO_ROOT, SuiteConfig
from support.eventually import WaitTimeout, eventually, truthy
from support.stack.endpoints import LIVE_WORKER_KEYS, Endpoints
from support.stack.engine import WORKERS, engine_command
from support.stack.postgres import PostgresServer
from support.stack.processes import (
    Service,
    StackError,
    child_listening,
    claim_port,
    free_port,
    require_binary,
    scratch_root,
)

BOOT_TIMEOUT_S = 30


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


class EmbeddedStack:
    def __init__(self, config: SuiteConfig, process: str | None = None):
        """process names this run's process when several run side by side: each keeps its
        stack's logs in reports/stack/<process>/."""
        self.config = config
        self.logs_dir = config.reports_dir / "stack" / (process or "")
        self.services: dict[str, Service] = {}
        self.scratch: Path | None = None
        self.boot_seconds: float | None = None
        self.endpoints: Endpoints | None = None
        self.postgres: PostgresServer | None = None
        self.engine_port: int | None = None
        self.engine_overrides: dict[str, str] = {}  # addresses the engine runs with now

    # -- starting -------------------------------------------------------------------------

    def start(self) -> Endpoints:
        """Start everything; on any failure stop what did start, then raise."""
        atexit.register(self.stop)
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Endpoints:
        started = time.monotonic()
        redis_server = require_binary(
            "redis-server", "run `make setup` (or apt-get install redis-server) and try again")
        if self.logs_dir.exists():
            shutil.rmtree(self.logs_dir)
        self.logs_dir.mkdir(parents=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="grizz-stack-", dir=scratch_root()))

        if self.config.engine_port is not None:  # a fixed port in use is said at once
            claim_port(self.config.engine_port, "the engine", "GRIZZ_ENGINE_PORT")
        ports = {name: free_port() for name in ("postgres", "redis", "model")}
        self._start_redis(redis_server, ports["redis"])
        self._start_model(ports["model"])
        postgres = self.postgres = PostgresServer(self.scratch, ports["postgres"], self.logs_dir)
        self.services["postgres"] = postgres.start()

        endpoints = Endpoints(
            engine_url="",  # known once the engine's port is picked
            redis_url=f"redis://127.0.0.1:{ports['redis']}/0",
            database_url=postgres.url,
            jwt_secret=secrets.token_urlsafe(32),
            model_url=f"http://127.0.0.1:{ports['model']}")
        self._wait("redis", "Redis", lambda: self._redis_ping(endpoints.redis_url))
        self._wait("model", "the scriptable model",
                   lambda: _http_ok(f"{endpoints.model_url}/health"))
        self._wait("postgres", "PostgreSQL", postgres.ready)
        postgres.apply_schema()
        # Picked only now, just before the engine binds it, so nothing else takes it meanwhile.
        engine_port = claim_port(self.config.engine_port, "the engine", "GRIZZ_ENGINE_PORT")
        endpoints = dataclasses.replace(endpoints, engine_url=f"ws://127.0.0.1:{engine_port}")
        self.endpoints, self.engine_port = endpoints, engine_port
        self._start_engine(endpoints, engine_port)
        self._wait_engine()
        self.boot_seconds = time.monotonic() - started
        return endpoints

    def _start_redis(self, binary: str, port: int):
        data = self.scratch / "redis"
        data.mkdir()
        self._service("redis", [
            binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
            "--appendonly", "yes", "--save", "", "--daemonize", "no"])

    def _start_model(self, port: int):
        self._service("model", [sys.executable, "-m", "support.model.server",
                                "--host", "127.0.0.1", "--port", str(port)], cwd=REPO_ROOT)

    def _start_engine(self, endpoints: Endpoints, port: int, redis_url: str | None = None,
                      database_url: str | None = None):
        argv, env = engine_command(endpoints, port, redis_url, database_url)
        self._service("engine", argv, cwd=self.config.engine_dir.resolve(), env=env)

    def _service(self, name: str, argv: list[str], **options) -> Service:
        service = Service(name, argv, self.logs_dir / f"{name}.log", **options).start()
        self.services[name] = service
        return service

    def _wait_engine(self):
        self._wait("engine", "the engine",
                   lambda: _http_ok(f"http://127.0.0.1:{self.engine_port}/health"))
        self._wait("engine", f"{WORKERS} engine workers",
                   lambda: self._live_workers(self.endpoints.redis_url) >= WORKERS)

    # -- faults -----------------------------------------------------------------------------

    def stop_server(self, name: str):
        """Stop Redis ("redis") or PostgreSQL ("postgres") the way an operator would: Redis
        writes its append-only file, PostgreSQL does a fast shutdown."""
        self.services[name].stop()

    def start_server(self, name: str):
        """Start a stopped server again on its port with its data; wait until it is ready."""
        service = self.services[name]
        if not service.running():
            service.start()
        ready = {"redis": lambda: self._redis_ping(self.endpoints.redis_url),
                 "postgres": self.postgres.ready}[name]
        self._wait(name, name, ready)

    def restart_server(self, name: str):
        self.stop_server(name)
        self.start_server(name)

    def server_running(self, name: str) -> bool:
        return self.services[name].running()

    def restart_engine(self, redis_url: str | None = None, database_url: str | None = None):
        """Stop the engine and start it again, reaching Redis and PostgreSQL at these
        addresses (by default, directly); wait until it and its workers are ready."""
        self.services["engine"].stop()
        self._start_engine(self.endpoints, self.engine_port, redis_url, database_url)
        self.engine_overrides = {key: value for key, value in
                                 (("redis_url", redis_url), ("database_url", database_url))
                                 if value}
        self._wait_engine()

    def api_pid(self) -> int | None:
        """The pid of the engine's front end: the launcher's child that listens on the
        engine's port (docs/contract.md, section 7), whatever its command line."""
        return child_listening(self.services["engine"].process.pid, self.engine_port)

    def engine_healthy(self) -> bool:
        return _http_ok(f"http://127.0.0.1:{self.engine_port}/health")

    # -- readiness ------------------------------------------------------------------------

    def _wait(self, name: str, what: str, ready):
        """Wait for a service to be ready; fail at once if its process has exited."""
        service = self.services[name]

        def probe():
            if not service.running():
                raise StackError(f"{what} exited while starting: see {service.log_path} "
                                 f"(last line: {service.log_tail(1)!r})")
            return ready()
        try:
            eventually(probe, truthy(f"{what} ready"), within_s=BOOT_TIMEOUT_S,
                       what=f"{what} readiness", interval_s=0.05)
        except WaitTimeout:
            raise StackError(f"{what} did not become ready within {BOOT_TIMEOUT_S} s: "
                             f"see {service.log_path}") from None

    @staticmethod
    def _redis_ping(url: str) -> bool:
        try:
            with redis.Redis.from_url(url, socket_timeout=1) as client:
                return client.ping()
        except redis.RedisError:
            return False

    @staticmethod
    def _live_workers(url: str) -> int:
        try:
            with redis.Redis.from_url(url, socket_timeout=1) as client:
                return len(list(client.scan_iter(match=LIVE_WORKER_KEYS, count=100)))
        except redis.RedisError:
            return 0

    # -- stopping -------------------------------------------------------------------------

    def stop(self):
        """Stop everything, engine first so it does not log the others going away."""
        for name in ("engine", "model", "redis", "postgres"):
            service = self.services.pop(name, None)
            if service is not None:
                service.stop()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
