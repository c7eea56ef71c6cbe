"""A lean HTTP/1.1 keep-alive client for the load generators.

The load generator shares the machine's cores with the service it measures. httpx spends about a
millisecond of CPU per request, which on 2 cores took CPU the service needed; this client writes
pre-encoded requests on one persistent connection per simulated client and reads back only the
status line, the headers and a Content-Length body (the services never answer benchmark requests
with chunked bodies). It is for benchmarks only: no TLS, no redirects, no chunked encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit


CONNECT_GAP = 0.02
"""Seconds between opening two clients' connections (``connect_all``).

Uvicorn's workers share one listening socket, and asyncio accepts every pending connection each time its loop
wakes: 16 connections opened at once all went to whichever worker woke first (measured with two workers: the
other used no CPU at all, in the service and in the peer alike). Opened one at a time, each connection is a race
of its own between the workers, as connections from separate clients are."""


async def connect_all(stack: contextlib.AsyncExitStack, connections: list[LeanConnection],
                      gap: float = CONNECT_GAP) -> None:
    """Open the clients' connections one at a time, each accepted before the next is opened."""
    for conn in connections:
        await stack.enter_async_context(conn)
        await asyncio.sleep(gap)


class LeanConnection:
    """One keep-alive connection; requests on it are sent one at a time."""

    def __init__(self, url: str, token: str | None = None):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self._fixed_headers = f"Host: {self.host}:{self.port}\r\n{auth}".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> LeanConnection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._writer is not None:
            self._writer.close()

    def encode(self, method: str, path: str, body: Any = None) -> bytes:
        """A complete request, encoded once (a benchmark may send the same bytes many times)."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._fixed_headers
        if body is not None:
            head += b"Content-Type: application/json\r\n"
        return head + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send an encoded request; (status, body) of the answer."""
        assert self._reader is not None and self._writer is not None, "use 'async with'"
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding":
                raise ValueError("chunked answers are not supported by the benchmark client")
        body = await self._reader.readexactly(length) if length else b""
        return status, body

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        return await self.send(self.encode(method, path, body))
