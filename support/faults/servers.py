"""Operating the servers behind the engine, in embedded mode: Redis and PostgreSQL stop,
start and restart with their data; the API process is killed and its launcher replaces it;
the network to Redis and PostgreSQL is slowed by latency proxies.

    faults = ServerFaults(suite)
    faults.restart("redis")                 # the append-only file keeps what it had
    faults.stop("postgres"); faults.start("postgres")
    faults.outage("redis", down_s=3, while_down=send_something)
    faults.kill_api()                       # returns once a new API process is healthy
    faults.slow_network(delay_ms=50)        # the engine restarts behind two proxies
    faults.restore()                        # everything as the stack started it

restore() is what fixtures call, pass or fail; it does nothing that is not needed.
"""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import urlparse

from support.eventually import eventually, truthy
from support.faults.proxy import LatencyProxy

API_BACK_WITHIN_S = 30


class ServerFaults:
    def __init__(self, suite):
        assert suite.stack is not None, "operating the servers needs the embedded stack"
        self.suite = suite
        self.stack = suite.stack
        self.proxies: list[LatencyProxy] = []

    def stop(self, name: str):
        self.stack.stop_server(name)

    def start(self, name: str):
        self.stack.start_server(name)

    def restart(self, name: str):
        self.stack.restart_server(name)

    def outage(self, name: str, down_s: float, while_down=lambda: None):
        """Stop the server, call while_down(), keep the server down until down_s have passed
        since it stopped, then start it. The length of an outage is the fault itself: long
        enough that the engine's quick reconnection retries run out and its slower
        recovery paths are the ones tested."""
        stopped = time.monotonic()
        self.stack.stop_server(name)
        try:
            while_down()
            time.sleep(max(0.0, down_s - (time.monotonic() - stopped)))
        finally:
            self.stack.start_server(name)

    def kill_api(self) -> tuple[int, int]:
        """SIGKILL the API process; return (its pid, the pid of the one that replaced it)."""
        killed = self.stack.api_pid()
        assert killed is not None, "no API process found under the launcher"
        os.kill(killed, signal.SIGKILL)

        def replaced():
            pid = self.stack.api_pid()
            return pid if pid not in (None, killed) and self.stack.engine_healthy() else None
        new = eventually(replaced, truthy("a new, healthy API process"), API_BACK_WITHIN_S,
                         f"the API process after killing pid {killed}", interval_s=0.1)
        return killed, new

    def slow_network(self, delay_ms: int):
        """Restart the engine so that it reaches Redis and PostgreSQL through proxies that
        delay every byte by delay_ms each way."""
        redis_url, database_url = self.stack.endpoints.redis_url, self.stack.endpoints.database_url
        proxied = []
        for url in (redis_url, database_url):
            target = urlparse(url)
            proxy = self.suite.run(LatencyProxy(target.hostname, target.port, delay_ms).start(),
                                   10, "starting a latency proxy")
            self.proxies.append(proxy)
            proxied.append(url.replace(f":{target.port}/", f":{proxy.port}/", 1))
        self.stack.restart_engine(redis_url=proxied[0], database_url=proxied[1])

    def proxied_connections(self) -> int:
        return sum(proxy.connections for proxy in self.proxies)

    def restore(self):
        """Both servers running, the engine on its own addresses and healthy, no proxies."""
        for name in ("redis", "postgres"):
            if not self.stack.server_running(name):
                self.stack.start_server(name)
        if self.stack.engine_overrides or not self.stack.engine_healthy():
            self.stack.restart_engine()
        for proxy in self.proxies:
            self.suite.run(proxy.stop(), 10, "stopping a latency proxy")
        self.proxies.clear()
