"""nginx / Apache / stunnel TLS settings: protocol sets resolved as each server reads them, cipher exclusions."""

from __future__ import annotations

from pathlib import Path

from hardencheck.facts.parsers.tlsconf import apache_protocols, enabled_ciphers, parse_tls_configs

IMAGES = Path(__file__).resolve().parents[1] / "fleet" / "images"


def _read(root: Path):
    def read(path: str) -> str | None:
        f = root / path.lstrip("/")
        return f.read_text() if f.is_file() else None
    return read


def test_apache_protocol_arithmetic_follows_mod_ssl() -> None:
    assert apache_protocols("all -SSLv3") == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert apache_protocols("-all +TLSv1.2 +TLSv1.3") == ["TLSv1.2", "TLSv1.3"]
    assert apache_protocols("all -SSLv3 -TLSv1 -TLSv1.1") == ["TLSv1.2", "TLSv1.3"]
    assert apache_protocols("TLSv1.2") == ["TLSv1.2"]  # a bare protocol replaces the set


def test_cipher_exclusions_are_applied() -> None:
    assert enabled_ciphers("HIGH:!aNULL:!MD5") == ["HIGH"]
    assert enabled_ciphers("'ALL:!RC4:RC4-SHA:-3DES:+AES:@STRENGTH'") == ["ALL", "AES"]
    assert enabled_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256") == [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]


def test_weak_image_settings_with_file_and_line() -> None:
    root = IMAGES / "weak" / "root"
    files = {"nginx": ["/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled/pos-api"],
             "apache": ["/etc/apache2/sites-enabled/backoffice.conf"], "stunnel": ["/etc/stunnel/pos-bridge.conf"]}
    fact = parse_tls_configs(_read(root), files)
    protocols = {(s["server"], s["line"]): s["protocols"] for s in fact.data["settings"] if s["kind"] == "protocols"}
    assert protocols[("nginx", 20)] == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert protocols[("apache", 6)] == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert protocols[("stunnel", 5)] == ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]  # all minus NO_SSLv2
    ciphers = {s["server"]: s["enabled_ciphers"] for s in fact.data["settings"] if s["kind"] == "ciphers"}
    assert ciphers["nginx"] == ["HIGH", "MEDIUM", "RC4-SHA", "DES-CBC3-SHA"]
    stunnel = next(s for s in fact.data["settings"] if s["server"] == "stunnel" and s["kind"] == "ciphers")
    assert stunnel["section"] == "payment-host"
    index = fact.data["settings"].index(stunnel)
    assert fact.locations[f"settings/{index}"].excerpt == "ciphers = ALL:!aNULL"


def test_hardened_image_and_stunnel_min_version() -> None:
    root = IMAGES / "hardened" / "root"
    files = {"nginx": ["/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled/pos-api"], "apache": [],
             "stunnel": ["/etc/stunnel/pos-bridge.conf"]}
    fact = parse_tls_configs(_read(root), files)
    for s in fact.data["settings"]:
        if s["kind"] == "protocols":
            assert s["protocols"] == ["TLSv1.2", "TLSv1.3"], s


def test_stunnel_options_and_max_version() -> None:
    text = "options = NO_TLSv1\noptions = NO_TLSv1_1\n[svc]\nsslVersionMax = TLSv1.2\naccept = 443\n"
    fact = parse_tls_configs(lambda p: text, {"stunnel": ["/etc/stunnel/x.conf"]})
    (entry,) = [s for s in fact.data["settings"] if s["kind"] == "protocols"]
    assert entry["protocols"] == ["SSLv3", "TLSv1.2"] and entry["section"] == "svc"


def test_garbage_does_not_crash() -> None:
    text = "ssl_protocols \x00\x1b[2J TLSv9 <script>;\n" + "x" * 70000 + "\nSSLProtocol\n"
    fact = parse_tls_configs(lambda p: text, {"nginx": ["/a"], "apache": ["/b"], "stunnel": ["/c"]})
    assert fact.data["settings"][0]["protocols"] == []
    assert fact.warnings
