"""``hardencheck keygen`` and ``hardencheck verify``; adds ``--sign-key`` to scan and evaluate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.commands.history import run_parsers
from hardencheck.results.redact import terminal_safe
from hardencheck.signing import (
    PASSPHRASE_ENV,
    SigningError,
    default_key_dir,
    generate_keypair,
    key_id,
    load_private_key,
    sign_folder,
    verify_folder,
)

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2


def add_sign_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sign-key", type=Path, metavar="KEY",
                   help="Ed25519 private key (`hardencheck keygen`): sign the result and write a signed "
                        f"manifest.json of every file (${PASSPHRASE_ENV} if the key is encrypted)")


def signing_key(args: argparse.Namespace) -> Ed25519PrivateKey | None:
    """Loaded before any work starts, so a bad key fails in a second, not after a night's scan."""
    path = getattr(args, "sign_key", None)
    if path is None:
        return None
    try:
        return load_private_key(path)
    except SigningError as exc:
        raise SourceErrorList([SourceError("--sign-key", None, "", str(exc))]) from None


def sign_or_fail(folder: Path, key: Ed25519PrivateKey, document: str) -> None:
    try:
        sign_folder(folder, key, document)
    except (SigningError, OSError) as exc:
        raise SourceErrorList([SourceError(str(folder), None, "", f"cannot sign: {exc}")]) from None
    print(f"signed {document} and manifest.json with {key_id(key.public_key())}", file=sys.stderr)


def cmd_keygen(args: argparse.Namespace) -> int:
    try:
        private, public = generate_keypair(args.out)
    except (SigningError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"private key (keep it secret, mode 0600): {private}", file=sys.stderr)
    print(f"public key (give it to whoever verifies): {public}", file=sys.stderr)
    print(str(private))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        result = verify_folder(args.result, args.pubkey)
    except (SigningError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if not result.ok:
        for p in result.problems:
            print(f"MISMATCH: {terminal_safe(p, 400)}", file=sys.stderr)
        print(f"FAILED: {result.document} does not verify ({len(result.problems)} problem(s))", file=sys.stderr)
        return EXIT_MISMATCH
    print(f"OK: {result.document}: signatures, document, files and evidence hashes verify")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    k = sub.add_parser("keygen", help="create an Ed25519 key pair for signing results",
                       description="Write hardencheck-signing.key (mode 0600) and hardencheck-signing.pub. "
                                   "An existing key is never overwritten.")
    k.add_argument("--out", type=Path, default=default_key_dir(), help="folder for the key pair [%(default)s]")
    k.set_defaults(func=cmd_keygen)

    v = sub.add_parser("verify", help="check a signed run or comparison folder",
                       description="Check the signatures of the document and manifest.json, the document's "
                                   "hash, every file's hash and every evidence hash. Exit 0: all verify; "
                                   "1: a mismatch (each one is listed); 2: nothing to verify or unreadable key.")
    v.add_argument("result", type=Path, metavar="RESULT", help="a run folder, run.json, or comparison folder")
    v.add_argument("--pubkey", type=Path, metavar="KEY",
                   help="the signer's public key; without it only integrity against the key in the manifest "
                        "is checked, not who signed")
    v.set_defaults(func=cmd_verify)

    for p in run_parsers(sub):
        add_sign_option(p)
