"""Evidence integrity: an Ed25519-signed manifest over a run (or comparison) folder.

``sign_folder`` writes three files beside the document:

* ``run.json.sig`` — the signature over the document's exact bytes;
* ``manifest.json`` — sha256 of the document, of every other file in the
  folder, and every evidence hash the document holds (so an auditor can
  check one collected file against one line), plus the signer's public key;
* ``manifest.json.sig`` — the signature over the manifest's exact bytes.

``verify_folder`` re-derives all of it and lists every mismatch; any single
changed byte in the document, the manifest or a signature fails.
A signature file is the base64 of the 64 signature bytes and one newline,
nothing else: a signature file with anything else in it is rejected, not
tolerated.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PRIVATE_NAME, PUBLIC_NAME = "hardencheck-signing.key", "hardencheck-signing.pub"
MANIFEST, SIG = "manifest.json", ".sig"
DOCUMENTS = ("run.json", "comparison.json")
PASSPHRASE_ENV = "HARDENCHECK_SIGN_PASSPHRASE"


class SigningError(Exception):
    """A key that cannot be read or is not Ed25519, or a folder that cannot be signed."""


def default_key_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "hardencheck"


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (no window where a private key is world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)  # the umask may have narrowed it further; make it exactly mode


def generate_keypair(out_dir: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair; refuses to overwrite an existing key."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private, public = out_dir / PRIVATE_NAME, out_dir / PUBLIC_NAME
    for p in (private, public):
        if p.exists():
            raise SigningError(f"{p} already exists; move it away first (a signing key is never overwritten)")
    key = Ed25519PrivateKey.generate()
    _write_new(private, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()), 0o600)
    _write_new(public, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
    return private, public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), passphrase.encode() if passphrase else None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"cannot read signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
        key = (serialization.load_ssh_public_key(data) if data.startswith(b"ssh-ed25519")
               else serialization.load_pem_public_key(data))
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot read public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path} is not an Ed25519 public key")
    return key


def _raw(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(pub: Ed25519PublicKey) -> str:
    return "sha256:" + hashlib.sha256(_raw(pub)).hexdigest()


def encode_signature(sig: bytes) -> bytes:
    return base64.b64encode(sig) + b"\n"


def decode_signature(data: bytes) -> bytes:
    """Strict: exactly what :func:`encode_signature` writes, so no byte of the file is ignored."""
    try:
        sig = base64.b64decode(data.rstrip(b"\n"), validate=True)
    except (binascii.Error, ValueError):
        raise SigningError("malformed signature file (not base64)") from None
    if len(sig) != 64 or encode_signature(sig) != data:
        raise SigningError("malformed signature file")
    return sig


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_hashes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every sha256 of collected input a run or comparison document records, with where it appears."""
    out: set[tuple[str, str, str, str]] = set()
    for h in doc.get("hosts") or []:
        hid = str((h.get("target") or {}).get("id", ""))
        for fname, fact in (h.get("facts") or {}).items():
            for source, meta in (fact.get("sources") or {}).items():
                if isinstance(meta, dict) and meta.get("sha256"):
                    out.add((hid, f"fact:{fname}", str(source), str(meta["sha256"])))
        for r in h.get("results") or []:
            for e in r.get("evidence") or []:
                if e.get("sha256"):
                    out.add((hid, f"check:{r.get('check_id')}", str(e.get("source")), str(e["sha256"])))
    for t in doc.get("transitions") or []:
        for e in t.get("evidence") or []:
            if e.get("sha256"):
                out.add((str(t.get("host")), f"check:{t.get('check_id')}", str(e.get("source")), str(e["sha256"])))
    return [{"host": h, "where": w, "source": s, "sha256": d} for h, w, s, d in sorted(out)]


def _folder_files(folder: Path) -> tuple[list[str], list[str]]:
    """(regular files, other entries) relative to ``folder``, manifest and its signature left out."""
    files, odd = [], []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if rel in (MANIFEST, MANIFEST + SIG):
            continue
        if p.is_symlink() or not (p.is_file() or p.is_dir()):
            odd.append(rel)
        elif p.is_file():
            files.append(rel)
    return files, odd


def sign_folder(folder: Path, key: Ed25519PrivateKey, document: str = "run.json") -> list[Path]:
    """Sign ``folder/document`` and write the signed manifest; returns the files written."""
    doc_path = folder / document
    data = doc_path.read_bytes()
    sig_path = folder / (document + SIG)
    sig_path.write_bytes(encode_signature(key.sign(data)))
    files, odd = _folder_files(folder)
    if odd:
        raise SigningError(f"{folder}: will not sign a folder with symlinks or special files: {', '.join(odd)}")
    pub = key.public_key()
    manifest = {
        "schema_version": "1.0", "kind": "manifest",
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "document": {"name": document, "sha256": hashlib.sha256(data).hexdigest()},
        "signer": {"algorithm": "ed25519", "key_id": key_id(pub), "public_key": base64.b64encode(_raw(pub)).decode()},
        "files": {rel: sha256_file(folder / rel) for rel in files},
        "evidence": evidence_hashes(json.loads(data)),
    }
    body = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    (folder / MANIFEST).write_bytes(body)
    (folder / (MANIFEST + SIG)).write_bytes(encode_signature(key.sign(body)))
    return [sig_path, folder / MANIFEST, folder / (MANIFEST + SIG)]


@dataclass
class Verification:
    document: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _locate(path: Path) -> tuple[Path, str]:
    if path.is_dir():
        for name in DOCUMENTS:
            if (path / name).is_file():
                return path, name
        raise SigningError(f"{path}: no {' or '.join(DOCUMENTS)} in this folder")
    if not path.is_file():
        raise SigningError(f"{path}: no such file or folder")
    return path.parent, path.name


def _check_sig(pub: Ed25519PublicKey, sig_file: Path, data: bytes, what: str, v: Verification) -> None:
    if not sig_file.is_file():
        v.problems.append(f"{sig_file.name} is missing: {what} is not signed")
        return
    try:
        pub.verify(decode_signature(sig_file.read_bytes()), data)
    except SigningError as exc:
        v.problems.append(f"{sig_file.name}: {exc}")
    except InvalidSignature:
        v.problems.append(f"{sig_file.name}: signature does not match {what} (altered, or signed by another key)")


def _signer(manifest: dict[str, Any], pubkey: Path | None, v: Verification) -> Ed25519PublicKey | None:
    if pubkey is not None:
        pub = load_public_key(pubkey)
        if manifest.get("signer", {}).get("key_id") not in (None, key_id(pub)):
            v.problems.append(f"manifest names signer {manifest['signer']['key_id']}, not {pubkey} ({key_id(pub)})")
        return pub
    try:
        pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(manifest["signer"]["public_key"], validate=True))
    except (KeyError, TypeError, ValueError, binascii.Error):
        v.problems.append("manifest.json names no usable signer key; give --pubkey")
        return None
    v.notes.append(f"checked against the key recorded in the manifest ({key_id(pub)}); this proves integrity, "
                   "not who signed: give --pubkey to check the signer")
    return pub


def verify_folder(path: Path, pubkey: Path | None = None) -> Verification:
    """Check the signatures, the document hash, every file hash and every evidence hash."""
    folder, document = _locate(path)
    v = Verification(folder / document)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        v.problems.append(f"{MANIFEST} is missing: {document} was not signed (or the manifest was removed)")
        return v
    body = manifest_path.read_bytes()
    try:
        manifest = json.loads(body)
    except ValueError as exc:
        v.problems.append(f"{MANIFEST} is not valid JSON ({exc})")
        manifest = {}
    if not isinstance(manifest, dict):
        v.problems.append(f"{MANIFEST} is not a JSON object")
        manifest = {}
    pub = _signer(manifest, pubkey, v)
    data = (folder / document).read_bytes()
    if pub is not None:
        _check_sig(pub, folder / (MANIFEST + SIG), body, MANIFEST, v)
        _check_sig(pub, folder / (document + SIG), data, document, v)
    _check_hashes(folder, document, data, manifest, v)
    return v


def _check_hashes(folder: Path, document: str, data: bytes, manifest: dict[str, Any], v: Verification) -> None:
    named = (manifest.get("document") or {}).get("name")
    if named != document:
        v.problems.append(f"manifest is for {named!r}, not {document}")
    if (manifest.get("document") or {}).get("sha256") != hashlib.sha256(data).hexdigest():
        v.problems.append(f"{document}: sha256 differs from the manifest")
    listed = manifest.get("files") or {}
    files, odd = _folder_files(folder)
    for rel in files:
        if rel == document:
            continue  # checked above, against the manifest's document entry
        if rel not in listed:
            v.problems.append(f"{rel}: not in the manifest (added after signing)")
        elif sha256_file(folder / rel) != listed[rel]:
            v.problems.append(f"{rel}: sha256 differs from the manifest")
    for rel in sorted(set(listed) - set(files)):
        v.problems.append(f"{rel}: listed in the manifest but missing")
    v.problems.extend(f"{rel}: symlink or special file in a signed folder" for rel in odd)
    try:
        found = evidence_hashes(json.loads(data))
    except ValueError:
        v.problems.append(f"{document} is not valid JSON")
        return
    if found != manifest.get("evidence"):
        v.problems.append(f"evidence hashes in {document} differ from the manifest")
