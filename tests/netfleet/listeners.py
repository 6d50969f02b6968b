"""Small real servers for network-scan tests, bound to loopback addresses (127.0.0.0/8 only).

Each listener is a thread-per-connection TCP server on its own ``address:port``:

* :func:`banner` — a cleartext service that greets first (telnet ``login:``, ftp ``220``) and
  answers every line it receives with a fixed reply;
* :func:`tls` — a TLS server: ``weak`` accepts TLS 1.0-1.2 with NULL/anonymous/CBC suites and a
  1024-bit RSA SHA-1 certificate that expires within 10 days; ``strong`` only TLS 1.2/1.3 with
  AEAD suites and an ECDSA P-256 certificate valid a year; ``expired`` TLS 1.2/1.3 with an
  expired RSA-2048 certificate;
* :func:`http` — a plain-HTTP admin page, with or without a redirect to https;
* :func:`snmp` — a UDP service on 161 that answers every datagram (SNMP v1/v2c in the clear).

Every connection is bounded in time (5 s idle) and bytes (64 KiB), and :class:`Listeners`
stops them all on exit, so a test never leaves a server behind.
"""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import ssl
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from .certs import EXPIRED, STRONG, WEAK, make_cert

IDLE_TIMEOUT = 5.0
MAX_BYTES = 64 * 1024

#: What Linux telnetd sends first (DO TTYPE, DO TSPEED, DO XDISPLOC, DO NEW-ENVIRON), which nmap's
#: version detection recognises from its NULL probe; the login prompt follows any reply.
TELNET_BANNER = b"\xff\xfd\x18\xff\xfd \xff\xfd#\xff\xfd'"
TELNET_REPLY = b"\r\nPIN-PAD 3000 maintenance console\r\nlogin: "
FTP_BANNER = b"220 (vsFTPd 3.0.3)\r\n"
FTP_REPLY = b"530 Please login with USER and PASS.\r\n"

WEAK_CIPHERS = "NULL-MD5:NULL-SHA:ADH-AES128-SHA:AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
STRONG_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"


def _check_loopback(address: str) -> None:
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"test listeners bind to 127.0.0.0/8 only, not {address}")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: str, port: int, handle: Callable[[socket.socket], None]):
        self.handle_conn = handle
        super().__init__((address, port), _Handler)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(IDLE_TIMEOUT)
        try:
            self.server.handle_conn(self.request)  # type: ignore[attr-defined]
        except (OSError, ssl.SSLError, ValueError):
            pass


class Listener:
    """One running server; :meth:`stop` closes it and waits for its accept loop to end."""

    def __init__(self, kind: str, address: str, port: int, handle: Callable[[socket.socket], None]):
        _check_loopback(address)
        self.kind, self.address, self.port = kind, address, port
        self._server = _Server(address, port, handle)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"listener-{kind}-{address}:{port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __repr__(self) -> str:
        return f"<Listener {self.kind} {self.address}:{self.port}>"


def _read_lines(conn: socket.socket, reply: bytes) -> None:
    received = 0
    while received < MAX_BYTES:
        data = conn.recv(4096)
        if not data:
            return
        received += len(data)
        if reply:
            conn.sendall(reply * max(1, data.count(b"\n")))


def banner(address: str, port: int, greeting: bytes, reply: bytes = b"", hang_up: bool = False) -> Listener:
    """A cleartext service that sends ``greeting`` on connect and ``reply`` to each line.

    With ``hang_up`` it closes right after the greeting, which keeps nmap's version detection of
    an unknown service short (it otherwise waits out every probe).
    """

    def handle(conn: socket.socket) -> None:
        conn.sendall(greeting)
        if not hang_up:
            _read_lines(conn, reply)

    return Listener("banner", address, port, handle)


def telnet(address: str, port: int = 23) -> Listener:
    return banner(address, port, TELNET_BANNER, TELNET_REPLY)


def ftp(address: str, port: int = 21) -> Listener:
    return banner(address, port, FTP_BANNER, FTP_REPLY)


class _UdpServer(socketserver.ThreadingUDPServer):
    allow_reuse_address = True
    daemon_threads = True


class UdpListener(Listener):
    """A UDP service answering every datagram with ``reply`` (an SNMP agent that says too much)."""

    def __init__(self, address: str, port: int, reply: bytes):
        _check_loopback(address)
        self.kind, self.address, self.port = "udp", address, port

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                _data, sock = self.request
                sock.sendto(reply, self.client_address)

        self._server = _UdpServer((address, port), Handler)  # type: ignore[assignment]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"listener-udp-{address}:{port}", daemon=True)
        self._thread.start()


def _tlv(tag: int, value: bytes) -> bytes:
    assert len(value) < 128  # short-form BER length is enough here
    return bytes([tag, len(value)]) + value


#: An SNMPv1 GetResponse, community "public", sysName.0 = "PINPAD-3000": what an agent with the
#: default community answers, and what nmap's SNMPv1public probe recognises.
SNMP_REPLY = _tlv(0x30, _tlv(0x02, b"\x00") + _tlv(0x04, b"public") + _tlv(0xA2, (
    _tlv(0x02, bytes.fromhex("4c33a756")) + _tlv(0x02, b"\x00") + _tlv(0x02, b"\x00")
    + _tlv(0x30, _tlv(0x30, _tlv(0x06, bytes.fromhex("2b06010201010500")) + _tlv(0x04, b"PINPAD-3000"))))))


def snmp(address: str, port: int = 161) -> Listener:
    return UdpListener(address, port, SNMP_REPLY)


def _http_answer(conn: socket.socket, redirect: str | None) -> None:
    request = b""
    while b"\r\n\r\n" not in request and len(request) < MAX_BYTES:
        data = conn.recv(4096)
        if not data:
            return
        request += data
    if redirect:
        body = b"<html><body>Moved</body></html>"
        head = (f"HTTP/1.1 301 Moved Permanently\r\nLocation: {redirect}\r\nServer: lighttpd/1.4.59\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    else:
        body = b"<html><head><title>Store router admin login</title></head><body>admin</body></html>"
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nServer: lighttpd/1.4.59\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    conn.sendall(head + body)


def http(address: str, port: int = 80, redirect_to_https: bool = False) -> Listener:
    """A plain-HTTP admin page; with ``redirect_to_https`` every request is sent to https."""
    target = f"https://{address}/" if redirect_to_https else None
    return Listener("http", address, port, lambda conn: _http_answer(conn, target))


def tls_context(tier: str, workdir: Path, address: str) -> ssl.SSLContext:
    """The server context for ``weak``, ``strong`` or ``expired`` (certificate made on the fly)."""
    spec = {"weak": WEAK, "strong": STRONG, "expired": EXPIRED}[tier]
    cert, key = make_cert(spec, f"{tier}.store.test", address, workdir / f"{tier}-{address}")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tier == "weak":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(WEAK_CIPHERS)
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(STRONG_CIPHERS if spec.key == "ecdsa" else "ECDHE+AESGCM:ECDHE+CHACHA20")
    ctx.load_cert_chain(cert, key)
    return ctx


def tls(address: str, port: int, tier: str, workdir: Path) -> Listener:
    """A TLS server (see module docstring) answering HTTP inside the tunnel."""
    ctx = tls_context(tier, workdir, address)

    def handle(conn: socket.socket) -> None:
        with ctx.wrap_socket(conn, server_side=True) as tls_conn:
            _http_answer(tls_conn, None)

    return Listener(f"tls-{tier}", address, port, handle)


class Listeners:
    """A set of listeners started together and always stopped together."""

    def __init__(self) -> None:
        self.items: list[Listener] = []

    def add(self, listener: Listener) -> Listener:
        self.items.append(listener)
        return listener

    def stop(self) -> None:
        while self.items:
            self.items.pop().stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
