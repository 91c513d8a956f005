"""Operating the servers behind the engine, in embedded mode: Redis and PostgreSQL stop,
start and restart with their data; the API process is killed and its launcher replaces it;
the network to Redis and PostgreSQL is slowed by latency proxies.

    faults = ServerFaults(suite)
    faults.restart("redis")                 # the append-only file keeps what it had
    faults.stop("postgres"); faults.start("postgres")
    faults.outage("redis", down_s=3, while_down=send_something)
    faults.kill_api()                       # returns once a new API process is healthy
    faults.slow_network(delay_ms=50)        # the engine restarts behind two proxies
    faults.first_sent(b"some id")           # {"Redis": when it went out, "PostgreSQL": ...}
    faults.restore()                        # everything as the stack started it

restore() is what fixtures call, pass or fail; it does nothing that is not needed.
"""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import urlparse

from support.eventually import eventually, truthy
from support.stack.latency_proxy import LatencyProxy

API_BACK_WITHIN_S = 30


class ServerFaults:
    def __init__(self, suite):
        assert suite.stack is not None, "operating the servers needs the embedded stack"
        self.suite = suite
        self.stack = suite.stack
        self.proxies: dict[str, LatencyProxy] = {}  # by server, while the network is slow

    def stop(self, name: str):
        self.stack.stop_server(name)
        self.suite.happenings.begin(name, "down", "stopped")

    def start(self, name: str):
        self.stack.start_server(name)
        self.suite.happenings.end(name, "down")

    def restart(self, name: str):
        self.suite.happenings.begin(name, "down", "restart")
        try:
            self.stack.restart_server(name)
        finally:
            self.suite.happenings.end(name, "down")

    def outage(self, name: str, down_s: float, while_down=lambda: None):
        """Stop the server, call while_down(), keep the server down until down_s have passed
        since it stopped, then start it. The length of an outage is the fault itself: long
        enough that the engine's quick reconnection retries run out and its slower
        recovery paths are the ones tested."""
        stopped = time.monotonic()
        self.stop(name)
        try:
            while_down()
            time.sleep(max(0.0, down_s - (time.monotonic() - stopped)))
        finally:
            self.start(name)

    def kill_api(self) -> tuple[int, int]:
        """SIGKILL the API process; return (its pid, the pid of the one that replaced it)."""
        killed = self.stack.api_pid()
        assert killed is not None, "no API process found under the launcher"
        os.kill(killed, signal.SIGKILL)
        self.suite.happenings.mark("API", "killed", f"pid {killed}")

        def replaced():
            pid = self.stack.api_pid()
            return pid if pid not in (None, killed) and self.stack.engine_healthy() else None
        new = eventually(replaced, truthy("a new, healthy API process"), API_BACK_WITHIN_S,
                         f"the API process after killing pid {killed}", interval_s=0.1)
        self.suite.happenings.mark("API", "restarted", f"pid {new}")
        return killed, new

    def slow_network(self, delay_ms: int):
        """Restart the engine so that it reaches Redis and PostgreSQL through proxies that
        delay every byte by delay_ms each way."""
        urls = {"Redis": self.stack.endpoints.redis_url,
                "PostgreSQL": self.stack.endpoints.database_url}
        proxied = {}
        for server, url in urls.items():
            target = urlparse(url)
            proxy = self.suite.run(LatencyProxy(target.hostname, target.port, delay_ms).start(),
                                   10, "starting a latency proxy")
            self.proxies[server] = proxy
            proxied[server] = url.replace(f":{target.port}/", f":{proxy.port}/", 1)
        self.stack.restart_engine(redis_url=proxied["Redis"], database_url=proxied["PostgreSQL"])
        for lane in ("redis", "postgres"):
            self.suite.happenings.begin(lane, "delay", f"+{delay_ms} ms each way")
        self.suite.happenings.mark("API", "restarted", "behind the proxies")

    def network_delay_ms(self) -> int:
        """The delay each way of the slow network (the same to both servers)."""
        assert self.proxies, "the network to Redis and PostgreSQL has not been slowed"
        [delay_s] = {proxy.delay_s for proxy in self.proxies.values()}
        return round(delay_s * 1000)

    def first_sent(self, needle: bytes) -> dict[str, float | None]:
        """For each server behind the slow network, when (time.monotonic()) these bytes first
        went towards it through its proxy; None where they never did."""
        assert self.proxies, "the network to Redis and PostgreSQL has not been slowed"

        async def read():  # on the loop the proxies write their records from
            return {server: proxy.first_sent(needle) for server, proxy in self.proxies.items()}
        return self.suite.run(read(), 10, "reading what went through the slow network")

    def restore(self):
        """Both servers running, the engine on its own addresses and healthy, no proxies."""
        for name in ("redis", "postgres"):
            if not self.stack.server_running(name):
                self.start(name)
        if self.stack.engine_overrides or not self.stack.engine_healthy():
            self.stack.restart_engine()
            self.suite.happenings.mark("API", "restarted", "restored")
        for proxy in self.proxies.values():
            self.suite.run(proxy.stop(), 10, "stopping a latency proxy")
        self.proxies.clear()
        for lane in ("redis", "postgres"):
            self.suite.happenings.end(lane, "delay")
