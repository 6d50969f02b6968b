"""SSH keys for the fleet: per-host host keys cached across runs, and one client key.

Host keys are generated once per host name and key type and kept in a cache directory, so
a host presents the same key every time the fleet starts and a ``known_hosts`` written by
one run stays valid for the next. Generation writes into a temporary directory and renames
it into place, so concurrent fleets (pytest workers, a benchmark) never see half a key.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_DEFAULT_BITS = {"rsa": 3072, "ecdsa": 256, "ed25519": None}
_ALLOWED_BITS = {"rsa": range(1024, 16385), "ecdsa": (256, 384, 521), "ed25519": (None,)}
HOST_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


@dataclass(frozen=True)
class KeyType:
    """A host key algorithm and size, written in image.yaml as ``ed25519``, ``rsa-1024``..."""

    algo: str
    bits: int | None

    @classmethod
    def parse(cls, spec: str) -> KeyType:
        """Parse ``algo`` or ``algo-bits``; rejects what ssh-keygen/sshd would not accept."""
        algo, _, bits_text = spec.partition("-")
        if algo not in _DEFAULT_BITS:
            raise ValueError(f"unknown host key type {spec!r} (use rsa, ecdsa or ed25519)")
        bits = int(bits_text) if bits_text else _DEFAULT_BITS[algo]
        if bits not in _ALLOWED_BITS[algo]:
            raise ValueError(f"unsupported size in host key type {spec!r}")
        return cls(algo, bits)

    @property
    def spec(self) -> str:
        """The canonical spelling, used as the cache directory name."""
        return self.algo if self.bits is None else f"{self.algo}-{self.bits}"

    @property
    def file_name(self) -> str:
        """The file name sshd uses by default for this algorithm, e.g. ``ssh_host_rsa_key``."""
        return f"ssh_host_{self.algo}_key"


def keygen(algo: str, bits: int | None, path: Path, comment: str) -> None:
    """Run ssh-keygen for an unencrypted key at ``path`` (and ``path.pub``)."""
    cmd = ["ssh-keygen", "-q", "-t", algo, "-N", "", "-C", comment, "-f", str(path)]
    if bits is not None:
        cmd[4:4] = ["-b", str(bits)]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, capture_output=True)


def public_key(private_key: Path) -> str:
    """``type base64`` of the key's public half, without its comment."""
    algo, blob, *_ = Path(f"{private_key}.pub").read_text().split()
    return f"{algo} {blob}"


class KeyStore:
    """Host keys and the client key, in a cache directory shared by every fleet."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.cache.mkdir(parents=True, exist_ok=True, mode=0o700)

    def client_key(self) -> Path:
        """The ed25519 private key the fleet authorises for root on every host."""
        return self._cached(self.cache / "client", KeyType("ed25519", None), "client_ed25519_key",
                            "hardencheck-fleet-client")

    def host_key(self, host: str, key_type: KeyType) -> Path:
        """The cached host key of ``host`` for ``key_type``, generated on first use."""
        if not HOST_NAME_RE.match(host):
            raise ValueError(f"invalid host name {host!r}")
        return self._cached(self.cache / "hosts" / host / key_type.spec, key_type,
                            key_type.file_name, f"root@{host}")

    @staticmethod
    def fresh_host_key(key_type: KeyType, directory: Path) -> Path:
        """A new host key in ``directory``, never cached: for "the host key changed" tests."""
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True, mode=0o700)
        path = directory / key_type.file_name
        keygen(key_type.algo, key_type.bits, path, "rotated")
        return path

    def _cached(self, directory: Path, key_type: KeyType, file_name: str, comment: str) -> Path:
        """Return ``directory/file_name``, generating it atomically if it is missing."""
        path = directory / file_name
        if path.exists() and Path(f"{path}.pub").exists():
            return path
        directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=directory.parent))
        try:
            keygen(key_type.algo, key_type.bits, staging / file_name, comment)
            os.rename(staging, directory)
        except OSError:
            if not path.exists():  # lost no race: a real failure
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return path
