"""Network-only targets: devices nobody logs into (PIN pads, printers, routers), audited by nmap alone.

On the command line ``net:SPEC``; in an inventory, a host with ``transport:
network`` (or ``network_only: true``) whose ``address`` (or ``addresses`` list)
may name several devices. SPEC is an address or name, a CIDR block
(``127.77.5.0/29``), a range (``127.77.5.1-9`` or ``127.77.5.1-127.77.5.9``) or a
comma-separated list of those. Ranges are expanded to one target per address,
named by the address, and capped (``--net-max-hosts``) so a typo such as /8
cannot launch a scan of millions of hosts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.inventory.model import Target

DEFAULT_MAX_HOSTS = 256


def expand_addresses(spec: str, max_hosts: int = DEFAULT_MAX_HOSTS) -> list[str]:
    """Every address SPEC names, in order, without duplicates; raises ValueError when it is bad or too big."""
    found: dict[str, None] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        found.update(dict.fromkeys(_expand_one(part, max_hosts - len(found))))
        if len(found) > max_hosts:
            break
    out = list(found)
    if not out:
        raise ValueError("no address given")
    if len(out) > max_hosts:
        raise ValueError(f"names more than {max_hosts} addresses (raise the limit with --net-max-hosts)")
    return out


def _expand_one(part: str, room: int) -> list[str]:
    if "/" in part:
        net = ipaddress.ip_network(part, strict=False)
        if net.num_addresses > max(room, 0) + 2:
            raise ValueError(f"{part} holds {net.num_addresses} addresses, more than the limit allows "
                             "(raise it with --net-max-hosts)")
        hosts = list(net.hosts()) or [net.network_address]
        return [str(h) for h in hosts]
    if "-" in part and _is_ip(part.split("-", 1)[0]):
        first_text, last_text = part.split("-", 1)
        first = ipaddress.ip_address(first_text)
        if _is_ip(last_text):
            last = ipaddress.ip_address(last_text)
        elif last_text.isdigit() and first.version == 4:
            last = ipaddress.ip_address(".".join(first_text.split(".")[:3] + [last_text]))
        else:
            raise ValueError(f"{part}: expected FIRST-LAST or FIRST-LASTOCTET")
        if last.version != first.version or int(last) < int(first):
            raise ValueError(f"{part}: the range is empty or mixes address families")
        count = int(last) - int(first) + 1
        if count > room:
            raise ValueError(f"{part} holds {count} addresses, more than the limit allows "
                             "(raise it with --net-max-hosts)")
        return [str(ipaddress.ip_address(int(first) + i)) for i in range(count)]
    return [part]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def network_targets(spec: str, asset_class: str | None = None,
                    max_hosts: int = DEFAULT_MAX_HOSTS) -> list[Target]:
    """``net:SPEC`` from the command line -> one network-only target per address, named by it."""
    body = spec.removeprefix("net:")
    try:
        addresses = expand_addresses(body, max_hosts)
    except ValueError as exc:
        raise SourceErrorList([SourceError(spec, None, "target", str(exc))]) from None
    return [Target(name=a, transport="network", address=a, asset_class=asset_class) for a in addresses]


def expand_inventory(targets: Iterable[Target], source: str, max_hosts: int = DEFAULT_MAX_HOSTS) -> list[Target]:
    """Inventory network hosts naming several devices become one target each (named by address,
    with the inventory entry's name added to their groups); everything else is left as it is."""
    out: list[Target] = []
    for t in targets:
        listed = t.vars.get("addresses")
        spec = ",".join(map(str, listed)) if isinstance(listed, list) and listed else t.address
        if t.transport != "network":
            out.append(t)
            continue
        try:
            addresses = expand_addresses(spec, max_hosts)
        except ValueError as exc:
            raise SourceErrorList([SourceError(source, None, t.name, f"address {spec!r}: {exc}")]) from None
        if len(addresses) == 1 and not isinstance(listed, list):
            out.append(Target(**{**t.__dict__, "address": addresses[0]}))
            continue
        for a in addresses:
            out.append(Target(**{**t.__dict__, "name": a, "address": a, "groups": (*t.groups, t.name)}))
    return out
