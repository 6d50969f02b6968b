"""Cleartext services from inetd, xinetd, snmpd, vsftpd and TigerVNC configuration; SNMP secrets stay hidden."""

from __future__ import annotations

from pathlib import Path

from hardencheck.facts.parsers.services import parse_services

IMAGES = Path(__file__).resolve().parents[1] / "fleet" / "images"
KINDS = {"inetd": ["/etc/inetd.conf"], "xinetd": ["/etc/xinetd.d/tftp"], "snmpd": ["/etc/snmp/snmpd.conf"],
         "vsftpd": ["/etc/vsftpd.conf"], "tigervnc": []}


def _reader(root: Path):
    return lambda p: (root / p.lstrip("/")).read_text() if (root / p.lstrip("/")).is_file() else None


def test_weak_image_services_named_like_a_network_scan() -> None:
    fact = parse_services(_reader(IMAGES / "weak" / "root"), KINDS)
    found = {(s["service"], s["port"], s["protocol"], s["via"], s["line"]) for s in fact.data["services"]}
    assert found == {("telnet", 23, "tcp", "inetd", 12), ("shell", 514, "tcp", "inetd", 16),
                     ("login", 513, "tcp", "inetd", 17), ("tftp", 69, "udp", "xinetd", 4),
                     ("snmp", 161, "udp", "snmpd", 8), ("snmp", 161, "udp", "snmpd", 9),
                     ("ftp", 21, "tcp", "vsftpd", 14)}
    assert not any(s["service"] == "ftp" and s["via"] == "inetd" for s in fact.data["services"])  # #<off># line


def test_hardened_image_has_none() -> None:
    fact = parse_services(_reader(IMAGES / "hardened" / "root"), KINDS)
    assert fact.data["services"] == [] and fact.data["snmp_communities"] == []


def test_site_community_is_never_shown_and_not_a_finding() -> None:
    text = "rocommunity S3cr3t-Store42 10.0.0.0/8\ncom2sec local localhost public\n"
    fact = parse_services(lambda p: text, {"snmpd": ["/etc/snmp/snmpd.conf"]})
    assert [s["community"] for s in fact.data["services"]] == ["public"]
    assert fact.data["snmp_communities"][0]["community"] == "<site community>"
    assert "S3cr3t" not in repr(fact.data) + repr(fact.locations)


def test_xinetd_disabled_and_vsftpd_with_tls_and_vnc() -> None:
    files = {"/etc/xinetd.d/telnet": "service telnet\n{\n disable = yes\n server = /usr/sbin/in.telnetd\n}\n",
             "/etc/xinetd.d/rsync": "service rsync\n{\n disable = no\n}\n",
             "/etc/vsftpd.conf": "listen=YES\nssl_enable=YES\n",
             "/etc/vsftpd/vsftpd.conf": "ssl_enable=YES\nforce_local_data_ssl=NO\n",
             "/etc/tigervnc/vncserver-config-mandatory": '$SecurityTypes = "X509Vnc,VncAuth";\n'}
    fact = parse_services(files.get, {"xinetd": ["/etc/xinetd.d/telnet", "/etc/xinetd.d/rsync"],
                                      "vsftpd": ["/etc/vsftpd.conf", "/etc/vsftpd/vsftpd.conf"],
                                      "tigervnc": ["/etc/tigervnc/vncserver-config-mandatory"]})
    found = [(s["service"], s["file"], s["line"]) for s in fact.data["services"]]
    assert found == [("ftp", "/etc/vsftpd/vsftpd.conf", 2), ("vnc", "/etc/tigervnc/vncserver-config-mandatory", 1)]
