"""Store devices nobody logs into, as named subjects for check expectations (tests/expectations).

Each device is one or more listeners on its own loopback address and is audited as a
network-only target (``transport: network``): an expectation file may name ``dev-tls-weak``
the way it names a fleet image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import listeners as L

#: device name -> how to start it on an address (certificates go under the given folder)
DEVICES: dict[str, Callable[[str, Path], list[L.Listener]]] = {
    "dev-telnet": lambda a, _w: [L.telnet(a)],
    "dev-ftp": lambda a, _w: [L.ftp(a)],
    "dev-tls-weak": lambda a, w: [L.tls(a, 443, "weak", w)],
    "dev-tls-strong": lambda a, w: [L.tls(a, 443, "strong", w)],
    "dev-tls-expired": lambda a, w: [L.tls(a, 8443, "expired", w)],
    "dev-http-admin": lambda a, _w: [L.http(a, 80)],
    "dev-http-redirect": lambda a, _w: [L.http(a, 80, redirect_to_https=True)],
}


def start_devices(names: list[str], base: str, workdir: Path, into: L.Listeners) -> dict[str, str]:
    """Start the named devices on ``<base>.1``, ``<base>.2``...; returns name -> address."""
    addresses = {}
    for i, name in enumerate(names, 1):
        address = f"{base}.{i}"
        for listener in DEVICES[name](address, workdir):
            into.add(listener)
        addresses[name] = address
    return addresses
