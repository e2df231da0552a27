"""A request whose client closed the connection while it waited is not served (real sockets)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from services.api.abandoned import AbandonedRequestMiddleware, client_has_gone


@contextmanager
def _connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(client end, server end) of a loopback TCP connection, as gunicorn accepts it."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    with client, server:
        yield client, server


def test_a_waiting_client_is_there() -> None:
    with _connection() as (_client, server):
        assert client_has_gone(server) is False


def test_unread_bytes_of_the_request_mean_the_client_has_not_gone() -> None:
    with _connection() as (client, server):
        client.sendall(b'{"a": 1}')
        assert client_has_gone(server) is False
        client.close()  # its bytes still come first: only a definite end counts
        assert client_has_gone(server) is False


def test_a_closed_or_reset_connection_means_the_client_has_gone() -> None:
    with _connection() as (client, server):
        client.close()
        assert client_has_gone(server) is True
    with _connection() as (client, server):
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # RST
        assert client_has_gone(server) is True


def _served(sock: socket.socket | None) -> tuple[HttpResponse, list[HttpRequest]]:
    calls: list[HttpRequest] = []

    def view(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        return HttpResponse(status=201)

    request = RequestFactory().post("/api/v1/visits", data={"a": 1},
                                    content_type="application/json")
    if sock is not None:
        request.META["gunicorn.socket"] = sock
    return AbandonedRequestMiddleware(view)(request), calls


def test_an_abandoned_request_is_answered_499_and_nothing_of_it_runs() -> None:
    with _connection() as (client, server):
        client.close()
        response, calls = _served(server)
    assert (response.status_code, calls) == (499, [])
    assert response.reason_phrase == "Client Closed Request"
    assert b"client_closed_request" in response.content


def test_a_request_whose_client_waits_is_served() -> None:
    with _connection() as (_client, server):
        response, calls = _served(server)
    assert (response.status_code, len(calls)) == (201, 1)
    response, calls = _served(None)  # outside gunicorn: no socket to look at
    assert (response.status_code, len(calls)) == (201, 1)
