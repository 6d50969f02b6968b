"""Shared pytest setup: ``tests/`` on sys.path, the ``integration`` marker, fleet fixtures.

The fleet (tests/fleet) is imported inside the fixtures only, so unit tests still collect and
run on machines without PyYAML, paramiko or root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

if TYPE_CHECKING:
    from fleet import Fleet

#: The hosts of the session fleet: one per image.
SESSION_HOSTS = [("weak-1", "weak"), ("hardened-1", "hardened"), ("bad-1", "misbehaving")]


@pytest.fixture(scope="session", autouse=True)
def _private_history_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every scan in the tests stores its run; keep them out of the real ~/.local/share store."""
    old = os.environ.get("HARDENCHECK_STORE")
    os.environ["HARDENCHECK_STORE"] = str(tmp_path_factory.mktemp("store") / "history.db")
    yield
    if old is None:
        os.environ.pop("HARDENCHECK_STORE", None)
    else:
        os.environ["HARDENCHECK_STORE"] = old


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "integration: runs against the SSH test fleet (tests/fleet); needs root, "
        "/usr/sbin/sshd, unshare and overlayfs, skipped otherwise")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip integration tests, with the reason, where the fleet cannot run."""
    integration = [item for item in items if "integration" in item.keywords]
    if not integration:
        return
    reason = _fleet_unavailable()
    if reason:
        marker = pytest.mark.skip(reason=f"fleet unavailable: {reason}")
        for item in integration:
            item.add_marker(marker)


def _fleet_unavailable() -> str | None:
    """Why the fleet cannot start here, or None."""
    if os.geteuid() != 0:
        return "needs root (mount namespaces, overlayfs, pivot_root)"
    for tool in ("unshare", "setpriv", "ssh-keygen", "pivot_root"):
        if shutil.which(tool) is None:
            return f"{tool} not found (util-linux / openssh-client)"
    if not os.access("/usr/sbin/sshd", os.X_OK):
        return "/usr/sbin/sshd not found (apt-get install openssh-server)"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "the kernel has no overlayfs"
    for module in ("paramiko", "yaml"):
        try:
            __import__(module)
        except ImportError:
            return f"python module {module} missing"
    probe = subprocess.run(["unshare", "--mount", "--pid", "--fork", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"unshare is not permitted here: {probe.stderr.strip()}"
    return None


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """A started fleet with ``weak-1``, ``hardened-1`` and ``bad-1`` (misbehaving).

    Its address base is the first one no other fleet holds (127.77 when alone), so parallel
    pytest runs and xdist workers never collide.
    """
    from fleet import Fleet

    with Fleet(tmp_path_factory.mktemp("fleet"), base=None) as f:
        f.start(SESSION_HOSTS)
        yield f


@pytest.fixture
def fleet_factory(tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Callable[..., Fleet]]:
    """``make(specs, **fleet_kwargs) -> Fleet``: a started fleet of one's own, stopped after.

    Each call claims a free address base of its own unless ``base=`` is given.
    """
    from fleet import Fleet

    made: list[Fleet] = []

    def make(specs: Sequence[tuple[str, str]], **kwargs: Any) -> Fleet:
        kwargs.setdefault("base", None)
        new = Fleet(tmp_path_factory.mktemp("fleet-factory"), **kwargs)
        made.append(new)
        new.start(specs)
        return new

    yield make
    for f in made:
        f.stop()


@pytest.fixture
def ssh_env(fleet: Fleet) -> dict[str, Any]:
    """What a client needs to reach the session fleet: known_hosts, client_key, hosts by name."""
    return {"known_hosts": fleet.known_hosts, "client_key": fleet.client_key,
            "hosts": {h.name: h for h in fleet.hosts}}
