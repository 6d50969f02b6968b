"""``net_tls``: what each TLS port offers (ssl-enum-ciphers) and the certificate it shows (ssl-cert).

``data["services"]`` is one entry per TLS port: ``port``, ``service``,
``protocols`` (oldest first: ``SSLv3``, ``TLSv1.0`` ... ``TLSv1.3``),
``ciphers`` (``{name, strength, protocol, kex_info}``, one per protocol that
offers it; strength is nmap's grade A-F), ``least_strength``, ``warnings``,
``enumerated`` (false when the port speaks TLS but enumeration gave nothing)
and ``certificate``: ``{key_type, key_bits, curve, signature_algorithm,
signature_hash, not_before, not_after, days_left, expired, not_yet_valid,
subject, subject_cn, issuer, self_signed, sans, sha256}``, read from the PEM
nmap returns (nmap's own summary fields when that cannot be parsed).
``days_left`` counts from the time of the scan.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import clean, excerpt
from hardencheck.network.nmap_xml import HostScan, Port
from hardencheck.network.probe import NetworkProbe, NmapNeeds, ScanContext, port_set, source_of

DEFAULT_TLS_PORTS = (443, 465, 636, 990, 993, 995, 8443)
PROTOCOL_ORDER = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_TLS_NAMES = ("https", "ssl", "https-alt", "imaps", "pop3s", "smtps", "ldaps", "ftps")


def _is_tls(port: Port) -> bool:
    return (port.state == "open" and ("ssl-enum-ciphers" in port.scripts or "ssl-cert" in port.scripts
                                      or port.service.tunnel == "ssl" or port.service.name in _TLS_NAMES))


def _ciphers(data: Any) -> tuple[list[str], list[dict[str, Any]], list[str], str | None]:
    protocols, ciphers, warnings = [], [], []
    if not isinstance(data, dict):
        return [], [], [], None
    for proto in sorted((k for k in data if k in PROTOCOL_ORDER), key=PROTOCOL_ORDER.index):
        section = data[proto] if isinstance(data[proto], dict) else {}
        protocols.append(proto)
        for c in section.get("ciphers") or []:
            if isinstance(c, dict) and c.get("name"):
                ciphers.append({"name": clean(str(c["name"]))[:128], "strength": str(c.get("strength") or "")[:4],
                                "protocol": proto, "kex_info": clean(str(c.get("kex_info") or ""))[:64]})
        for w in section.get("warnings") or []:
            text = f"{proto}: {clean(str(w))[:300]}"
            if text not in warnings:
                warnings.append(text)
    least = data.get("least strength")
    return protocols, ciphers, warnings, str(least)[:4] if least else None


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _days_left(not_after: dt.datetime | None, now: dt.datetime) -> int | None:
    return None if not_after is None else math.floor((not_after - now).total_seconds() / 86400)


def _from_pem(pem: str, now: dt.datetime) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
    from cryptography.x509.oid import ExtensionOID, NameOID

    cert = x509.load_pem_x509_certificate(pem.encode("ascii", "replace"))
    key = cert.public_key()
    key_type, bits, curve = "unknown", None, None
    if isinstance(key, rsa.RSAPublicKey):
        key_type, bits = "rsa", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, bits, curve = "ec", key.curve.key_size, key.curve.name
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, bits = "dsa", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, bits = "ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, bits = "ed448", 456
    try:
        sig_hash = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    except Exception:  # noqa: BLE001 - an unknown or broken algorithm is reported as unknown
        sig_hash = "unknown"
    sans: list[str] = []
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        sans = [str(n.value) for n in ext][:100]  # type: ignore[attr-defined]
    except x509.ExtensionNotFound:
        pass
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    return {
        "key_type": key_type, "key_bits": bits, "curve": curve,
        "signature_algorithm": getattr(cert.signature_algorithm_oid, "_name", cert.signature_algorithm_oid.dotted_string),
        "signature_hash": sig_hash,
        "not_before": _iso(not_before), "not_after": _iso(not_after), "days_left": _days_left(not_after, now),
        "expired": now > not_after, "not_yet_valid": now < not_before,
        "subject": clean(cert.subject.rfc4514_string())[:512],
        "subject_cn": clean(str(cn[0].value))[:256] if cn else None,
        "issuer": clean(cert.issuer.rfc4514_string())[:512], "self_signed": cert.subject == cert.issuer,
        "sans": [clean(s)[:256] for s in sans], "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


def _parse_time(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _from_nmap(data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """nmap's own summary, for when the PEM is missing or unparseable."""
    pubkey, validity = _dict(data.get("pubkey")), _dict(data.get("validity"))
    subject, issuer = _dict(data.get("subject")), _dict(data.get("issuer"))
    not_before, not_after = _parse_time(validity.get("notBefore")), _parse_time(validity.get("notAfter"))
    sig = str(data.get("sig_algo") or "")
    bits = str(pubkey.get("bits") or "")
    extensions = data.get("extensions")
    extensions = extensions if isinstance(extensions, list) else []
    san = next((e.get("value") for e in extensions if isinstance(e, dict)
                and e.get("name") == "X509v3 Subject Alternative Name"), "")
    return {
        "key_type": str(pubkey.get("type") or "unknown"), "key_bits": int(bits) if bits.isdigit() else None,
        "curve": _dict(_dict(pubkey.get("ecdhparams")).get("curve_params")).get("curve"),
        "signature_algorithm": clean(sig)[:128],
        "signature_hash": next((h for h in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
                                if h in sig.lower().replace("-", "")), None),
        "not_before": _iso(not_before) if not_before else None, "not_after": _iso(not_after) if not_after else None,
        "days_left": _days_left(not_after, now), "expired": bool(not_after and now > not_after),
        "not_yet_valid": bool(not_before and now < not_before),
        "subject": clean(", ".join(f"{k}={v}" for k, v in subject.items()))[:512],
        "subject_cn": clean(str(subject["commonName"]))[:256] if "commonName" in subject else None,
        "issuer": clean(", ".join(f"{k}={v}" for k, v in issuer.items()))[:512],
        "self_signed": bool(subject) and subject == issuer,
        "sans": [clean(s.strip().split(":", 1)[-1])[:256] for s in str(san).split(",") if s.strip()][:100],
        "sha256": None,
    }


def certificate(data: Any, now: dt.datetime, warnings: list[str]) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    pem = data.get("pem")
    if isinstance(pem, str) and "BEGIN CERTIFICATE" in pem:
        try:
            return _from_pem(pem, now)
        except Exception as exc:  # noqa: BLE001 - a malformed certificate falls back to nmap's reading
            warnings.append(f"certificate PEM could not be parsed ({type(exc).__name__}); used nmap's summary")
    return _from_nmap(data, now)


def _cert_excerpt(cert: dict[str, Any]) -> str:
    return (f"Subject: {cert.get('subject')}; {cert.get('key_type')} {cert.get('key_bits')}; "
            f"{cert.get('signature_algorithm')}; not after {cert.get('not_after')}")


class NetTlsProbe(NetworkProbe):
    name = "net_tls"
    description = "TLS protocol versions, cipher suites with strength grades and the certificate of each TLS port."

    def needs(self, options: Mapping[str, Any]) -> NmapNeeds:
        ports = port_set(options.get("ports", DEFAULT_TLS_PORTS), "net_tls.ports")
        return NmapNeeds(tcp_ports=ports, scripts=frozenset({"ssl-enum-ciphers", "ssl-cert"}), version_detection=True)

    def parse_scan(self, scan: HostScan, ctx: ScanContext, options: Mapping[str, Any]) -> ParsedFact:
        if scan.timed_out:
            raise FactUnavailable("nmap gave up on this host (per-host network timeout) before TLS was enumerated")
        now = dt.datetime.fromtimestamp(ctx.now_epoch, dt.UTC)
        fact = ParsedFact(warnings=list(scan.warnings))
        services: list[dict[str, Any]] = []
        for port in scan.ports:
            if not _is_tls(port):
                continue
            where = f"services/{len(services)}"
            enum = port.scripts.get("ssl-enum-ciphers")
            protocols, ciphers, warnings, least = _ciphers(enum.data if enum else None)
            cert_script = port.scripts.get("ssl-cert")
            cert = certificate(cert_script.data, now, fact.warnings) if cert_script else None
            enum_src = source_of(ctx.address, port, "ssl-enum-ciphers")
            fact.locate(where, enum_src if enum else source_of(ctx.address, port), None,
                        excerpt(f"{port.label} {', '.join(protocols) or 'no protocol enumerated'}; "
                                f"least strength {least}"))
            for i, proto in enumerate(protocols):
                n = sum(1 for c in ciphers if c["protocol"] == proto)
                fact.locate(f"{where}/protocols/{i}", enum_src, None, excerpt(f"{proto}: {n} cipher suite(s) offered"))
            for i, c in enumerate(ciphers):
                fact.locate(f"{where}/ciphers/{i}", enum_src, None,
                            excerpt(f"{c['protocol']}: {c['name']} ({c['kex_info']}) - {c['strength']}"))
            fact.locate(f"{where}/least_strength", enum_src, None, excerpt(f"least strength: {least}"))
            if cert is not None and cert_script is not None:
                fact.locate(f"{where}/certificate", source_of(ctx.address, port, "ssl-cert"), None,
                            excerpt(_cert_excerpt(cert)))
            services.append({
                "port": port.port, "proto": port.proto, "service": port.service.name,
                "enumerated": bool(protocols), "protocols": protocols, "ciphers": ciphers,
                "least_strength": least, "warnings": warnings, "certificate": cert,
            })
            if not protocols:
                fact.warnings.append(f"{port.label} speaks TLS but ssl-enum-ciphers returned nothing")
        fact.data = {"address": ctx.address, "services": services}
        fact.locate("services", source_of(ctx.address), None,
                    excerpt(", ".join(f"{s['port']}/tcp" for s in services) or "no TLS port found"))
        return fact

