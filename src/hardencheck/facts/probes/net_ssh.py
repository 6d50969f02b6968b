"""``net_ssh``: the algorithms each SSH port offers (ssh2-enum-algos) and its host keys (ssh-hostkey).

``data["services"]``: ``port``, ``product``, ``version``, ``kex``,
``hostkey_algorithms``, ``ciphers``, ``macs``, ``compression`` (names as
offered, in server order), ``kex_markers`` (``ext-info-s``,
``kex-strict-s-v00@openssh.com``: protocol flags sent in the kex list, not key
exchanges, kept apart so ``kex`` compares with ``sshd -T``'s
``kexalgorithms``), ``hostkeys`` (``{type, bits, fingerprint}``) and
``enumerated``. nmap's ssh-hostkey only manages classic Diffie-Hellman key
exchange, so a server offering only modern kex yields no ``hostkeys`` (the
``hostkey_algorithms`` list still says which key types it has).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import clean, excerpt
from hardencheck.network.nmap_xml import HostScan, Port
from hardencheck.network.probe import NetworkProbe, NmapNeeds, ScanContext, port_set, source_of

DEFAULT_SSH_PORTS = (22,)
KEX_MARKERS = frozenset({"ext-info-s", "ext-info-c", "kex-strict-s-v00@openssh.com", "kex-strict-c-v00@openssh.com"})
_LISTS = {"kex": "kex_algorithms", "hostkey_algorithms": "server_host_key_algorithms",
          "ciphers": "encryption_algorithms", "macs": "mac_algorithms", "compression": "compression_algorithms"}


def _is_ssh(port: Port) -> bool:
    return port.state == "open" and ("ssh2-enum-algos" in port.scripts or "ssh-hostkey" in port.scripts
                                     or port.service.name == "ssh")


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [clean(str(v))[:128] for v in value if isinstance(v, str)][:200]


def _hostkeys(data: Any) -> list[dict[str, Any]]:
    keys = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        bits = str(item.get("bits") or "")
        keys.append({"type": clean(str(item.get("type") or ""))[:64], "bits": int(bits) if bits.isdigit() else None,
                     "fingerprint": clean(str(item.get("fingerprint") or ""))[:128]})
    return keys[:20]


class NetSshProbe(NetworkProbe):
    name = "net_ssh"
    description = "SSH key exchange, host key, cipher and MAC algorithms each SSH port offers, and its host keys."

    def needs(self, options: Mapping[str, Any]) -> NmapNeeds:
        ports = port_set(options.get("ports", DEFAULT_SSH_PORTS), "net_ssh.ports")
        return NmapNeeds(tcp_ports=ports, scripts=frozenset({"ssh2-enum-algos", "ssh-hostkey"}), version_detection=True)

    def parse_scan(self, scan: HostScan, ctx: ScanContext, options: Mapping[str, Any]) -> ParsedFact:
        if scan.timed_out:
            raise FactUnavailable("nmap gave up on this host (per-host network timeout) before SSH was enumerated")
        fact = ParsedFact(warnings=list(scan.warnings))
        services: list[dict[str, Any]] = []
        for port in scan.ports:
            if not _is_ssh(port):
                continue
            where = f"services/{len(services)}"
            algos = port.scripts.get("ssh2-enum-algos")
            data = algos.data if algos is not None and isinstance(algos.data, dict) else {}
            entry: dict[str, Any] = {"port": port.port, "proto": port.proto, "product": port.service.product,
                                     "version": " ".join(x for x in (port.service.version, port.service.extrainfo) if x)}
            src = source_of(ctx.address, port, "ssh2-enum-algos")
            for key, nmap_key in _LISTS.items():
                names = _names(data.get(nmap_key))
                if key == "kex":
                    entry["kex_markers"] = [n for n in names if n in KEX_MARKERS]
                    names = [n for n in names if n not in KEX_MARKERS]
                entry[key] = names
                fact.locate(f"{where}/{key}", src, None, excerpt(f"{nmap_key}: {', '.join(names)}"))
                for i, n in enumerate(names):
                    fact.locate(f"{where}/{key}/{i}", src, None, excerpt(f"{nmap_key}: {n}"))
            hostkey = port.scripts.get("ssh-hostkey")
            entry["hostkeys"] = _hostkeys(hostkey.data if hostkey is not None else None)
            for i, k in enumerate(entry["hostkeys"]):
                fact.locate(f"{where}/hostkeys/{i}", source_of(ctx.address, port, "ssh-hostkey"), None,
                            excerpt(f"{k['bits']} {k['fingerprint']} ({k['type']})"))
            entry["enumerated"] = bool(entry["kex"] or entry["ciphers"])
            if not entry["enumerated"]:
                fact.warnings.append(f"{port.label} runs SSH but ssh2-enum-algos returned nothing")
            fact.locate(where, src if algos is not None else source_of(ctx.address, port), None,
                        excerpt(f"{port.label} {port.service.product} {port.service.version}"))
            services.append(entry)
        fact.data = {"address": ctx.address, "services": services}
        fact.locate("services", source_of(ctx.address), None,
                    excerpt(", ".join(f"{s['port']}/tcp" for s in services) or "no SSH port found"))
        return fact
