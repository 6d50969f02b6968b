"""What OpenSSH 9.2 (Debian 12's 9.2p1 build) assumes when sshd_config says nothing.

Reading a config repository instead of running ``sshd -T`` only gives the
right answer if unset keywords get the same values sshd would give them, so
this table is ``sshd -T`` output of an empty config on Debian 12 (kept in
tests/unit/data/sshd_T_defaults.txt and checked by a test). Debian's build
backports ``sntrup761x25519-sha512`` (no ``@openssh.com``) and adds the GSSAPI
key-exchange options; upstream 9.2 differs only there.
"""

from __future__ import annotations

SSH_DIR = "/etc/ssh"
MAX_INCLUDE_DEPTH = 16

SCALAR_DEFAULTS: dict[str, str] = {
    "addressfamily": "any",
    "usepam": "no",
    "logingracetime": "120",
    "x11displayoffset": "10",
    "maxauthtries": "6",
    "maxsessions": "10",
    "clientaliveinterval": "0",
    "clientalivecountmax": "3",
    "requiredrsasize": "1024",
    "streamlocalbindmask": "0177",
    "unusedconnectiontimeout": "none",
    "permitrootlogin": "without-password",
    "ignorerhosts": "yes",
    "ignoreuserknownhosts": "no",
    "hostbasedauthentication": "no",
    "hostbasedusesnamefrompacketonly": "no",
    "pubkeyauthentication": "yes",
    "kerberosauthentication": "no",
    "kerberosorlocalpasswd": "yes",
    "kerberosticketcleanup": "yes",
    "gssapiauthentication": "no",
    "gssapicleanupcredentials": "yes",
    "gssapikeyexchange": "no",
    "gssapistrictacceptorcheck": "yes",
    "gssapistorecredentialsonrekey": "no",
    "passwordauthentication": "yes",
    "kbdinteractiveauthentication": "yes",
    "printmotd": "yes",
    "printlastlog": "yes",
    "x11forwarding": "no",
    "x11uselocalhost": "yes",
    "permittty": "yes",
    "permituserrc": "yes",
    "strictmodes": "yes",
    "tcpkeepalive": "yes",
    "permitemptypasswords": "no",
    "compression": "yes",
    "gatewayports": "no",
    "usedns": "no",
    "allowtcpforwarding": "yes",
    "allowagentforwarding": "yes",
    "disableforwarding": "no",
    "allowstreamlocalforwarding": "yes",
    "streamlocalbindunlink": "no",
    "fingerprinthash": "SHA256",
    "exposeauthinfo": "no",
    "pidfile": "/run/sshd.pid",
    "modulifile": "/etc/ssh/moduli",
    "xauthlocation": "/usr/bin/xauth",
    "banner": "none",
    "forcecommand": "none",
    "chrootdirectory": "none",
    "trustedusercakeys": "none",
    "revokedkeys": "none",
    "securitykeyprovider": "internal",
    "authorizedprincipalsfile": "none",
    "versionaddendum": "none",
    "authorizedkeyscommand": "none",
    "authorizedkeyscommanduser": "none",
    "authorizedprincipalscommand": "none",
    "authorizedprincipalscommanduser": "none",
    "hostkeyagent": "none",
    "loglevel": "INFO",
    "syslogfacility": "AUTH",
    "authorizedkeysfile": ".ssh/authorized_keys .ssh/authorized_keys2",
    "authenticationmethods": "any",
    "maxstartups": "10:30:100",
    "persourcemaxstartups": "none",
    "persourcenetblocksize": "32:128",
    "permittunnel": "no",
    "ipqos": "lowdelay throughput",
    "rekeylimit": "0 0",
    "permitopen": "any",
    "permitlisten": "any",
    "permituserenvironment": "no",
    "pubkeyauthoptions": "none",
}

DEFAULT_PORTS = ["22"]
DEFAULT_HOSTKEYS = [
    "/etc/ssh/ssh_host_rsa_key",
    "/etc/ssh/ssh_host_ecdsa_key",
    "/etc/ssh/ssh_host_ed25519_key",
]

_HOSTKEY_DEFAULT = [
    "ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
]

ALGORITHM_DEFAULTS: dict[str, list[str]] = {
    "ciphers": [
        "chacha20-poly1305@openssh.com",
        "aes128-ctr",
        "aes192-ctr",
        "aes256-ctr",
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
    ],
    "macs": [
        "umac-64-etm@openssh.com",
        "umac-128-etm@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512-etm@openssh.com",
        "hmac-sha1-etm@openssh.com",
        "umac-64@openssh.com",
        "umac-128@openssh.com",
        "hmac-sha2-256",
        "hmac-sha2-512",
        "hmac-sha1",
    ],
    "kexalgorithms": [
        "sntrup761x25519-sha512",
        "sntrup761x25519-sha512@openssh.com",
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "ecdh-sha2-nistp256",
        "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521",
        "diffie-hellman-group-exchange-sha256",
        "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512",
        "diffie-hellman-group14-sha256",
    ],
    "hostkeyalgorithms": _HOSTKEY_DEFAULT,
    "pubkeyacceptedalgorithms": _HOSTKEY_DEFAULT,
    "hostbasedacceptedalgorithms": _HOSTKEY_DEFAULT,
    "casignaturealgorithms": [
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "rsa-sha2-512",
        "rsa-sha2-256",
    ],
}
"""Defaults that ``+``, ``-`` and ``^`` lists modify."""

_ALL_KEYTYPES = [
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-dss-cert-v01@openssh.com",
    "ssh-rsa",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-512-cert-v01@openssh.com",
]

ALGORITHM_SUPPORTED: dict[str, list[str]] = {
    "ciphers": [
        "3des-cbc",
        "aes128-cbc",
        "aes192-cbc",
        "aes256-cbc",
        "aes128-ctr",
        "aes192-ctr",
        "aes256-ctr",
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com",
    ],
    "macs": [
        "hmac-sha1",
        "hmac-sha1-96",
        "hmac-sha2-256",
        "hmac-sha2-512",
        "hmac-md5",
        "hmac-md5-96",
        "umac-64@openssh.com",
        "umac-128@openssh.com",
        "hmac-sha1-etm@openssh.com",
        "hmac-sha1-96-etm@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512-etm@openssh.com",
        "hmac-md5-etm@openssh.com",
        "hmac-md5-96-etm@openssh.com",
        "umac-64-etm@openssh.com",
        "umac-128-etm@openssh.com",
    ],
    "kexalgorithms": [
        "diffie-hellman-group1-sha1",
        "diffie-hellman-group14-sha1",
        "diffie-hellman-group14-sha256",
        "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512",
        "diffie-hellman-group-exchange-sha1",
        "diffie-hellman-group-exchange-sha256",
        "ecdh-sha2-nistp256",
        "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521",
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "sntrup761x25519-sha512",
        "sntrup761x25519-sha512@openssh.com",
    ],
    "hostkeyalgorithms": _ALL_KEYTYPES,
    "pubkeyacceptedalgorithms": _ALL_KEYTYPES,
    "hostbasedacceptedalgorithms": _ALL_KEYTYPES,
    "casignaturealgorithms": _ALL_KEYTYPES,
}
"""Everything this build knows (``ssh -Q``): wildcards in a list expand against it."""

COMMA_LISTS = frozenset(ALGORITHM_DEFAULTS) | {"gssapikexalgorithms"}
GSSAPI_KEX_DEFAULT = [
    "gss-group14-sha256-",
    "gss-group16-sha512-",
    "gss-nistp256-sha256-",
    "gss-curve25519-sha256-",
    "gss-group14-sha1-",
    "gss-gex-sha1-",
]

LIST_KEYWORDS = frozenset(
    {
        "port",
        "listenaddress",
        "hostkey",
        "hostcertificate",
        "acceptenv",
        "allowusers",
        "denyusers",
        "allowgroups",
        "denygroups",
        "subsystem",
        "setenv",
        "include",
    }
)
"""Keywords ``sshd -T`` prints once per value; they are always lists here."""

SPLIT_ARGS = frozenset({"acceptenv", "allowusers", "denyusers", "allowgroups", "denygroups", "setenv"})
"""List keywords where every word of a line is its own item."""

FIRST_LINE_ONLY = frozenset({"setenv"})
"""List keywords where, as sshd 9.2 does, only the first line counts."""

JOINED_ARGS = frozenset(
    {
        "authorizedkeysfile",
        "authorizedprincipalsfile",
        "ipqos",
        "rekeylimit",
        "permitopen",
        "permitlisten",
        "forcecommand",
        "authorizedkeyscommand",
        "authorizedprincipalscommand",
        "channeltimeout",
        "versionaddendum",
        "pubkeyauthoptions",
        "subsystem",
    }
)
"""Scalar keywords whose several words form one value, printed joined by ``sshd -T``."""

ALIASES = {
    "challengeresponseauthentication": "kbdinteractiveauthentication",
    "skeyauthentication": "kbdinteractiveauthentication",
    "pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms",
    "hostbasedacceptedkeytypes": "hostbasedacceptedalgorithms",
    "dsaauthentication": "pubkeyauthentication",
    "keepalive": "tcpkeepalive",
}

IGNORED = frozenset(
    {
        "protocol",
        "useprivilegeseparation",
        "rsaauthentication",
        "rhostsrsaauthentication",
        "rhostsauthentication",
        "uselogin",
        "serverkeybits",
        "keyregenerationinterval",
        "authorizedkeysfile2",
        "verifyreversemapping",
        "reversemappingcheck",
        "pamauthenticationviakbdint",
        "kerberosgetafstoken",
        "afstokenpassing",
        "kerberostgtpassing",
    }
)
"""Deprecated or unsupported keywords sshd 9.2 logs and ignores."""

EXTRA_KEYWORDS = frozenset({"match", "debianbanner", "rdomain", "hostcertificate", "channeltimeout"})

KNOWN_KEYWORDS = frozenset(SCALAR_DEFAULTS) | COMMA_LISTS | LIST_KEYWORDS | EXTRA_KEYWORDS

MATCH_ALLOWED = frozenset(
    {
        "acceptenv",
        "allowagentforwarding",
        "allowgroups",
        "allowstreamlocalforwarding",
        "allowtcpforwarding",
        "allowusers",
        "authenticationmethods",
        "authorizedkeyscommand",
        "authorizedkeyscommanduser",
        "authorizedkeysfile",
        "authorizedprincipalscommand",
        "authorizedprincipalscommanduser",
        "authorizedprincipalsfile",
        "banner",
        "casignaturealgorithms",
        "channeltimeout",
        "chrootdirectory",
        "clientalivecountmax",
        "clientaliveinterval",
        "denygroups",
        "denyusers",
        "disableforwarding",
        "exposeauthinfo",
        "forcecommand",
        "gatewayports",
        "gssapiauthentication",
        "hostbasedacceptedalgorithms",
        "hostbasedauthentication",
        "hostbasedusesnamefrompacketonly",
        "ignorerhosts",
        "include",
        "ipqos",
        "kbdinteractiveauthentication",
        "kerberosauthentication",
        "loglevel",
        "maxauthtries",
        "maxsessions",
        "passwordauthentication",
        "permitemptypasswords",
        "permitlisten",
        "permitopen",
        "permitrootlogin",
        "permittty",
        "permittunnel",
        "permituserrc",
        "pubkeyacceptedalgorithms",
        "pubkeyauthentication",
        "pubkeyauthoptions",
        "rdomain",
        "rekeylimit",
        "revokedkeys",
        "setenv",
        "streamlocalbindmask",
        "streamlocalbindunlink",
        "trustedusercakeys",
        "unusedconnectiontimeout",
        "x11displayoffset",
        "x11forwarding",
        "x11uselocalhost",
    }
)
"""Keywords sshd accepts inside a ``Match`` block (sshd_config(5), 9.2)."""

UPPER_KEYWORDS = frozenset({"loglevel", "syslogfacility", "fingerprinthash"})
TIME_KEYWORDS = frozenset({"logingracetime", "clientaliveinterval"})
ENUM_KEYWORDS = frozenset(k for k, v in SCALAR_DEFAULTS.items() if v in ("yes", "no")) | {
    "permitrootlogin",
    "addressfamily",
    "allowtcpforwarding",
    "allowstreamlocalforwarding",
    "gatewayports",
    "permittunnel",
    "ignorerhosts",
    "compression",
}
"""Keywords whose words sshd matches case-insensitively and prints in lower case."""

ENUM_WORDS = frozenset(
    {
        "yes",
        "no",
        "all",
        "local",
        "remote",
        "any",
        "inet",
        "inet6",
        "clientspecified",
        "without-password",
        "prohibit-password",
        "forced-commands-only",
        "point-to-point",
        "ethernet",
        "shosts-only",
        "delayed",
    }
)
"""Only these words are lower-cased: ``PermitUserEnvironment LANG,LC_*`` is a pattern, not a word."""

ENUM_SYNONYMS = {
    ("permitrootlogin", "prohibit-password"): "without-password",
    ("compression", "delayed"): "yes",
    ("loglevel", "DEBUG1"): "DEBUG",
}
"""Spellings sshd accepts but prints differently (it prints the first table entry)."""
