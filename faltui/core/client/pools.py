"""Connection pools for status streams, apart from the pool of ordinary calls.

A status stream holds its connection for as long as the job lives (over HTTP/1.1, one
connection each). httpcore's pool walks every connection it holds on each request it starts
and each response it releases, so a thousand streams in the pool of ordinary calls would make
every submit and result pay for all of them. Streams therefore get pools of their own, each
carrying at most ``STREAMS_PER_POOL`` streams (under HTTP/2 that many streams multiplexed on
one connection, below any server's concurrent-stream limit); a new stream goes to the pool
with the fewest. The pools share one TLS context (its certificates are loaded once).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Callable

import httpx

#: Streams one pool carries at once (a pool is made for every such many streams).
STREAMS_PER_POOL = 64


class StreamPools:
    """HTTP clients for status streams, made on demand, each carrying a bounded share."""

    def __init__(self, make: Callable[[ssl.SSLContext, int], httpx.AsyncClient]) -> None:
        """``make(tls_context, max_connections)`` builds one pool's client."""
        self._make = make
        self._tls: ssl.SSLContext | None = None
        self._pools: list[_Pool] = []

    @property
    def pools(self) -> int:
        """How many pools exist."""
        return len(self._pools)

    @property
    def streams(self) -> int:
        """Streams open through the pools."""
        return sum(pool.load for pool in self._pools)

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """A client for one stream (the least loaded pool, or a new one), held while in use."""
        pool = min(self._pools, key=lambda p: p.load, default=None)
        if pool is None or pool.load >= STREAMS_PER_POOL:
            if self._tls is None:
                self._tls = httpx.create_ssl_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR
            pool = _Pool(self._make(self._tls, STREAMS_PER_POOL))
            self._pools.append(pool)
        pool.load += 1
        try:
            yield pool.http
        finally:
            pool.load -= 1

    async def aclose(self) -> None:
        """Close every pool."""
        pools, self._pools = self._pools, []
        for pool in pools:
            await pool.http.aclose()


class _Pool:
    """One stream pool and how many streams it carries now."""

    __slots__ = ("http", "load")

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.load = 0
