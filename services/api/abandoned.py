"""Requests whose client has gone are not served.

Gunicorn's sync workers serve requests in the order their connections arrive. Under overload a
request waits in the queue longer than its client waits for it: the client gives up and closes
the connection, and the worker would still do all the work (a visit written, a token checked, a
statistics count) for an answer nobody reads, while the requests behind it wait longer still.
`msc bench intake` showed it: offered more than it can serve, the API served about a third of
what it serves when loaded just below that.

So before anything else, a request whose client has already closed its connection is answered
499 (the status nginx logs for it) without running any of it. Nothing is written, so nothing is
lost: a client that retries (with its Idempotency-Key) is served as if for the first time.

Only a closed connection counts, never a slow one: the check peeks at the socket without
waiting. A client that shuts down its sending side after the request and still reads (browsers
and HTTP libraries do not; some netcat-style tools do) looks the same, and reads the 499.
Outside gunicorn (tests, another server) there is no socket to look at and nothing changes.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from services.api.errors import error_body

logger = logging.getLogger(__name__)

CLIENT_CLOSED_REQUEST = 499


def client_has_gone(sock: socket.socket) -> bool:
    """Whether the peer has closed the connection: its end-of-stream is waiting to be read.

    A request's own bytes still waiting there (a body not yet read) mean it has not.
    """
    try:
        waiting = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False  # nothing to read: the client is waiting for the answer
    except OSError:
        return True  # reset by the peer
    return waiting == b""


class AbandonedRequestMiddleware:
    """Answers 499 at once when the client closed the connection while the request waited."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sock = request.META.get("gunicorn.socket")
        if isinstance(sock, socket.socket) and client_has_gone(sock):
            logger.warning("%s %s: the client closed the connection before it was served; "
                           "not served", request.method, request.path)
            return JsonResponse(
                error_body(CLIENT_CLOSED_REQUEST, "client_closed_request",
                           "the connection was closed before the request was served; "
                           "nothing was done"),
                status=CLIENT_CLOSED_REQUEST, reason="Client Closed Request")
        return self.get_response(request)
