"""``authorized_keys`` files: who can log in with which key, by SHA256 fingerprint.

A line is ``[options] keytype base64 [comment]`` (sshd(8) AUTHORIZED_KEYS
FILE FORMAT); options may hold quoted spaces (``command="a b"``), so the key
type is found by walking the options with quotes respected. The fingerprint
is what ``ssh-keygen -lf`` prints: ``SHA256:`` + unpadded base64 of the
SHA-256 of the decoded key blob, which is what an allowlist names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import clean, iter_lines, show, warn

KEY_TYPES = frozenset({
    "ssh-rsa", "ssh-dss", "ssh-ed25519", "ssh-ed448", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com",
    "ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
})
MAX_KEYS = 2000


def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _split_options(line: str) -> tuple[str, str] | None:
    """``(options, rest)``: the options field ends at the first unquoted whitespace."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return line[:i], line[i:].lstrip()
    return None


def parse_key_line(line: str) -> dict[str, Any] | None:
    """One authorized_keys line -> ``{type, fingerprint, comment, options}``; None if it is not a key."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    options = ""
    fields = stripped.split(None, 2)
    if fields[0] not in KEY_TYPES:
        split = _split_options(stripped)
        if split is None:
            return None
        options, rest = split
        fields = rest.split(None, 2)
        if not fields or fields[0] not in KEY_TYPES:
            return None
    if len(fields) < 2:
        return None
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    names = [o.split("=", 1)[0].lower() for o in re.findall(r'(?:[^,"]|"[^"]*")+', options)] if options else []
    return {"type": fields[0], "fingerprint": fingerprint(blob), "comment": clean(fields[2].strip())[:200]
            if len(fields) > 2 else "", "options": names}


def parse_authorized_keys(files: list[tuple[str, str, str]], akf: str, source: str) -> ParsedFact:
    """``files`` is ``[(user, path, content)]``; ``akf`` the AuthorizedKeysFile setting that was used."""
    fact = ParsedFact()
    keys: list[dict[str, Any]] = []
    for user, path, text in files:
        for number, line in iter_lines(text, fact, path):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key = parse_key_line(line)
            if key is None:
                warn(fact, f"{path}:{number}: not a public key line: {show(line)}")
                continue
            if len(keys) >= MAX_KEYS:
                warn(fact, f"more than {MAX_KEYS} keys; the rest were not listed")
                break
            key.update(user=clean(user), file=path, line=number)
            opts = f" [{','.join(key['options'])}]" if key["options"] else ""
            fact.locations[f"keys/{len(keys)}"] = Location(path, number, clean(
                f"{key['type']} {key['fingerprint']} {key['comment']}{opts}")[:300])
            keys.append(key)
    fact.data = {"keys": keys, "files": [p for _, p, _ in files], "authorized_keys_file": clean(akf)}
    fact.locations["authorized_keys_file"] = Location(source, None, clean(f"AuthorizedKeysFile {akf}"))
    fact.locations["keys"] = Location(source, None, clean(
        f"AuthorizedKeysFile {akf}: {len(keys)} key(s) in {len(files)} file(s)")[:300])
    return fact
