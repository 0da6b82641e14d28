"""The load users' HTTP/1.1 client: one keep-alive connection per user, and every request
reported to Locust's statistics the way Locust's own FastHttpSession reports it (name, time,
length; a status outside 2xx/3xx or a broken connection counts as a failure).

Why our own: on the checkout flow, FastHttpSession's layers (a user agent, a cookie jar,
header objects, a parser that calls back into Python for every header) cost several times the
socket work of a request (benchmarks/results/generator_vs_k6.md); a generator that spends its
CPU on itself measures itself. This client does the HTTP the ShopFlow API needs and refuses the
rest: no cookies, redirects, proxies or compressed bodies (it asks for identity), no streaming,
no pipelining. Locust's own client is one option away (`--shopflow-http-client locust`).

TLS certificates are verified against the system store (or `SSL_CERT_FILE`); the context is
built once per process, not once per user.
"""

from __future__ import annotations

import functools
import json as jsonlib
import time
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from gevent import socket as gsocket
from gevent import ssl as gssl
from gevent.monkey import get_original

RECV_SIZE = 65536
MAX_HEAD = 65536  # a response head longer than this is not an API answer
USER_AGENT = "shopflow-qa-load"  # the generator's requests, told apart in the server's logs
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_select = get_original("select", "select")  # a zero-timeout look at a socket, never a wait in the hub


class HttpStatusFailure(Exception):
    """A status outside 2xx/3xx: Locust counts the request as failed and lists this text."""

    def __init__(self, method: str, path: str, status: int) -> None:
        super().__init__(f"HTTP {status} for {method} {path}")
        self.status = status


class MalformedResponse(ConnectionError):
    """Bytes that are not an HTTP/1.x response (or a connection closed in the middle of one)."""


class _ClosedBeforeAnswer(ConnectionError):
    """The server closed the connection before a single byte of the response."""


class Response:
    """What a flow reads: `status_code`, `headers` (lower-case names), `content`, `text`, `json()`;
    `error` is the exception Locust recorded as the failure, if any."""

    __slots__ = ("status_code", "headers", "content", "error", "url")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes, url: str, error: Exception | None) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.url = url
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str:
        content_type = self.headers.get("content-type", "")
        charset = content_type.partition("charset=")[2].split(";")[0].strip().strip('"') or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        if self.error is not None:
            raise self.error


@functools.cache
def tls_context() -> gssl.SSLContext:
    """One verifying context per process (loading the CA store costs milliseconds; per user it added up)."""
    return gssl.create_default_context()


class LeanSession:
    """An HTTP/1.1 session to one origin (`base_url`), for one Locust user (not shared between greenlets)."""

    def __init__(
        self,
        base_url: str,
        request_event: Any,
        user: Any = None,
        *,
        connect_timeout: float = 10.0,
        network_timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL the load client can use: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._tls = parts.scheme == "https"
        port = parts.port or (443 if self._tls else 80)
        self._address = (parts.hostname, port)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self._prefix = parts.path.rstrip("/")
        self._fixed = _header_lines(
            {"Host": f"{host}:{port}" if parts.port else host, "User-Agent": USER_AGENT, **(headers or {})}
        )
        self._event = request_event
        self._user = user
        self._connect_timeout = connect_timeout
        self._network_timeout = network_timeout
        self._sock: Any = None
        self._pending = bytearray()

    # -- what the flows call ----------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
    ) -> Response:
        """Send one request, wait for its whole answer, report it to Locust, return it (never raises for HTTP)."""
        if not path.startswith("/"):
            raise ValueError(f"the load client takes paths on {self.base_url}, not {path!r}")
        body = b""
        extra = dict(headers or {})
        if json is not None and data is None:
            body = jsonlib.dumps(json).encode()
            extra.setdefault("Content-Type", "application/json")
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
        if body or method in ("POST", "PUT", "PATCH"):
            extra["Content-Length"] = str(len(body))
        target = self._prefix + path
        message = f"{method} {target} HTTP/1.1\r\n{self._fixed}{_header_lines(extra)}\r\n".encode("latin-1") + body
        context = self._user.context() if self._user is not None else {}
        start_time = time.time()
        started = time.perf_counter()
        error: Exception | None = None
        try:
            status, response_headers, content = self._exchange(method, message)
        except OSError as failure:  # refused, reset, timed out, TLS refused, not HTTP: a failed request
            self._close()
            status, response_headers, content, error = 0, {}, b"", failure
        response_time = (time.perf_counter() - started) * 1000
        if error is None and not 200 <= status < 400:
            error = HttpStatusFailure(method, path, status)
        url = self.base_url + path
        response = Response(status, response_headers, content, url, error)
        self._event.fire(
            request_type=method,
            name=name or path,
            response_time=response_time,
            response_length=len(content),
            response=response,
            context=context,
            exception=error,
            start_time=start_time,
            url=url,
        )
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        self._close()

    # -- the connection ---------------------------------------------------------------------

    def _exchange(self, method: str, message: bytes) -> tuple[int, dict[str, str], bytes]:
        reused = self._sock is not None and not self._dropped()
        if not reused:
            self._connect()
        try:
            self._sock.sendall(message)
            return self._read_response(method)
        except (_ClosedBeforeAnswer, ConnectionResetError, BrokenPipeError):
            # A kept-alive connection the server had just closed: a request it never read is sent
            # again on a new connection, but only one that may safely be repeated.
            if not reused or method not in IDEMPOTENT:
                raise
        self._connect()
        self._sock.sendall(message)
        return self._read_response(method)

    def _dropped(self) -> bool:
        """Whether the idle connection was closed by the server (readable now = EOF or stray bytes)."""
        readable, _, _ = _select([self._sock], [], [], 0)
        if readable:
            self._close()
        return bool(readable)

    def _connect(self) -> None:
        self._close()
        sock = gsocket.create_connection(self._address, timeout=self._connect_timeout)
        try:
            sock.setsockopt(gsocket.IPPROTO_TCP, gsocket.TCP_NODELAY, 1)
            if self._tls:
                sock = tls_context().wrap_socket(sock, server_hostname=self._address[0])
            sock.settimeout(self._network_timeout)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        self._pending.clear()
        if sock is not None:
            sock.close()

    def _receive(self) -> bool:
        chunk = self._sock.recv(RECV_SIZE)
        self._pending += chunk
        return bool(chunk)

    # -- the response -----------------------------------------------------------------------

    def _read_response(self, method: str) -> tuple[int, dict[str, str], bytes]:
        version, status, headers = self._read_head(first=True)
        while 100 <= status < 200:  # 100 Continue, 103 Early Hints: the answer follows
            version, status, headers = self._read_head(first=False)
        connection = headers.get("connection", "").lower()
        keep = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        if method == "HEAD" or status in (204, 304):
            content = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            content = self._read_chunked()
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise MalformedResponse(f"Content-Length is not a number: {headers['content-length']!r}") from None
            content = self._read_exact(length)
        else:  # the body runs until the server closes
            while self._receive():
                pass
            content, keep = bytes(self._pending), False
            self._pending.clear()
        if headers.get("content-encoding", "identity").lower() in ("gzip", "deflate"):
            try:  # asked for identity; a server sent it compressed anyway
                content = zlib.decompress(content, zlib.MAX_WBITS | 32)
            except zlib.error as error:
                raise MalformedResponse(f"a {headers['content-encoding']} body that does not decompress: {error}") from None
        if not keep or self._pending:  # no pipelining: bytes past the answer mean the connection is not ours to reuse
            self._close()
        return status, headers, content

    def _read_head(self, first: bool) -> tuple[str, int, dict[str, str]]:
        pending = self._pending
        while (end := pending.find(b"\r\n\r\n")) < 0:
            if len(pending) > MAX_HEAD:
                raise MalformedResponse(f"no end of the response head in {MAX_HEAD} bytes")
            if not self._receive():
                if first and not pending:
                    raise _ClosedBeforeAnswer("the server closed the connection without an answer")
                raise MalformedResponse("the server closed the connection in the middle of the response head")
        lines = bytes(pending[:end]).decode("latin-1").split("\r\n")
        del pending[: end + 4]
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise MalformedResponse(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            field, colon, value = line.partition(":")
            if not colon:
                raise MalformedResponse(f"not a header line: {line[:80]!r}")
            key, value = field.strip().lower(), value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return version, int(code), headers

    def _read_exact(self, length: int) -> bytes:
        pending = self._pending
        while len(pending) < length:
            if not self._receive():
                raise MalformedResponse(f"the server closed the connection {len(pending)} bytes into a body of {length}")
        content = bytes(pending[:length])
        del pending[:length]
        return content

    def _read_line(self) -> bytes:
        pending = self._pending
        while (end := pending.find(b"\r\n")) < 0:
            if len(pending) > MAX_HEAD or not self._receive():
                raise MalformedResponse("a chunked body without the end of a chunk line")
        line = bytes(pending[:end])
        del pending[: end + 2]
        return line

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_text = self._read_line().split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise MalformedResponse(f"not a chunk size: {size_text[:20]!r}") from None
            if size == 0:
                while self._read_line():  # trailer fields, up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._read_exact(size))
            if self._read_exact(2) != b"\r\n":
                raise MalformedResponse("a chunk not followed by CRLF")


def _header_lines(headers: Mapping[str, str]) -> str:
    """`Name: value\\r\\n` lines; a value with a line break would forge headers, so it is refused."""
    lines = []
    for key, value in headers.items():
        text = str(value)
        if "\r" in text or "\n" in text or "\r" in key or "\n" in key:
            raise ValueError(f"header {key!r} has a line break in its value")
        lines.append(f"{key}: {text}\r\n")
    return "".join(lines)
