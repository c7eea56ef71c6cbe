"""The benchmarks' own tools: the lean load-generator client and the percentile arithmetic."""

from __future__ import annotations

import asyncio

import pytest

from bench.common import percentile
from bench.loadclient import LeanConnection


async def serve(answers: list[bytes]) -> tuple[asyncio.Server, list[bytes]]:
    """A server that records each request's head and body and sends the next canned answer."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            received.append(head + await reader.readexactly(length))
            writer.write(answer)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), received


def test_requests_go_out_whole_on_one_connection_and_answers_come_back():
    async def story() -> None:
        server, received = await serve([
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\": \"a\"}",
            b"HTTP/1.1 409 Conflict\r\ncontent-length: 0\r\n\r\n",
        ])
        port = server.sockets[0].getsockname()[1]
        async with LeanConnection(f"http://127.0.0.1:{port}", "cc_token") as conn:
            assert await conn.request("POST", "/v1/x", {"event_id": "E1"}) == (201, b'{"id": "a"}')
            assert await conn.request("GET", "/v1/x") == (409, b"")
        server.close()
        first = received[0].decode()
        assert first.startswith("POST /v1/x HTTP/1.1\r\n")
        assert "Authorization: Bearer cc_token\r\n" in first and "Content-Type: application/json\r\n" in first
        assert first.endswith('\r\n\r\n{"event_id": "E1"}')
        assert received[1].decode().startswith("GET /v1/x HTTP/1.1\r\n")

    asyncio.run(story())


def test_a_chunked_answer_is_refused_rather_than_misread():
    async def story() -> None:
        server, _ = await serve([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"])
        port = server.sockets[0].getsockname()[1]
        async with LeanConnection(f"http://127.0.0.1:{port}") as conn:
            with pytest.raises(ValueError, match="chunked"):
                await conn.request("GET", "/")
        server.close()

    asyncio.run(story())


def test_percentiles_are_nearest_rank():
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert percentile(values, 50) == 0.05
    assert percentile(values, 99) == 0.099
    assert percentile([], 99) == 0.0
