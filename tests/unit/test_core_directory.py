"""DirectoryTransport: a config repository read as a target, with path mappings and no escapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardencheck.transport.base import TransportError
from hardencheck.transport.directory import DirectoryTransport, PathMapping


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    (root / "etc/ssh/sshd_config.d").mkdir(parents=True)
    (root / "roles/pos/files/sshd.d").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/shadow").write_text("root:$6$secret:1::\n")
    (root / "etc/ssh/sshd_config").write_text("PermitRootLogin no\n")
    (root / "etc/ssh/sshd_config.d/10-root.conf").write_text("MaxAuthTries 3\n")
    (root / "roles/pos/files/sshd_config").write_text("PermitRootLogin yes\n")
    (root / "roles/pos/files/sshd.d/50-pos.conf").write_text("Ciphers aes128-ctr\n")
    (root / "roles/pos/files/login.defs").write_text("PASS_MAX_DAYS 90\n")
    (root / "etc/shadow").symlink_to(tmp_path / "outside/shadow")
    (root / "etc/escape").symlink_to("../../outside")
    (root / "etc/inner-link").symlink_to("ssh/sshd_config")
    return root


def test_root_layout_reads_files(repo):
    t = DirectoryTransport(repo)
    assert t.read_file("/etc/ssh/sshd_config", 1000) == b"PermitRootLogin no\n"
    assert t.read_file("/etc/ssh/sshd_config", 10) == b"PermitRoot"
    assert t.read_file("/etc/ssh/sshd_config.d/10-root.conf", 1000) == b"MaxAuthTries 3\n"
    assert t.read_file("/etc/ssh/../ssh/sshd_config", 1000) == b"PermitRootLogin no\n"


def test_missing_files_and_folders_read_as_none(repo):
    t = DirectoryTransport(repo)
    assert t.read_file("/etc/passwd", 1000) is None
    assert t.read_file("/etc/ssh", 1000) is None
    assert t.list_dir("/nope") is None
    assert t.list_dir("/etc/ssh/sshd_config") is None


def test_root_layout_lists_folders(repo):
    t = DirectoryTransport(repo)
    assert t.list_dir("/etc/ssh") == ["sshd_config", "sshd_config.d"]
    assert t.list_dir("/etc/ssh/") == ["sshd_config", "sshd_config.d"]
    assert t.list_dir("/") == ["etc", "roles"]


def test_symlink_escaping_the_repo_is_not_followed(repo):
    t = DirectoryTransport(repo)
    assert t.read_file("/etc/shadow", 1000) is None
    assert t.read_file("/etc/escape/shadow", 1000) is None
    assert t.list_dir("/etc/escape") is None


def test_dotdot_cannot_climb_out_of_the_root(repo):
    t = DirectoryTransport(repo)
    assert t.read_file("/../outside/shadow", 1000) is None
    assert t.read_file("/etc/../../outside/shadow", 1000) is None


def test_symlink_inside_the_repo_is_followed(repo):
    t = DirectoryTransport(repo)
    assert t.read_file("/etc/inner-link", 1000) == b"PermitRootLogin no\n"
    assert t.source_name("/etc/inner-link") == "etc/ssh/sshd_config"


MAPPINGS = [
    PathMapping("roles/pos/files/sshd_config", "/etc/ssh/sshd_config"),
    PathMapping("roles/pos/files/sshd.d", "/etc/ssh/sshd_config.d"),
    PathMapping("roles/pos/files/login.defs", "/etc/login.defs"),
]


def test_explicit_file_and_folder_mappings(repo):
    t = DirectoryTransport(repo, MAPPINGS)
    assert t.read_file("/etc/ssh/sshd_config", 1000) == b"PermitRootLogin yes\n"
    assert t.read_file("/etc/ssh/sshd_config.d/50-pos.conf", 1000) == b"Ciphers aes128-ctr\n"
    assert t.read_file("/etc/login.defs", 1000) == b"PASS_MAX_DAYS 90\n"


def test_with_mappings_only_mapped_paths_exist(repo):
    t = DirectoryTransport(repo, MAPPINGS)
    assert t.as_root_layout is False
    assert t.read_file("/etc/ssh/sshd_config.d/10-root.conf", 1000) is None
    assert t.read_file("/roles/pos/files/login.defs", 1000) is None


def test_mappings_with_root_layout_fallback(repo):
    t = DirectoryTransport(repo, MAPPINGS[:1], as_root_layout=True)
    assert t.read_file("/etc/ssh/sshd_config", 1000) == b"PermitRootLogin yes\n"
    assert t.read_file("/etc/ssh/sshd_config.d/10-root.conf", 1000) == b"MaxAuthTries 3\n"
    assert t.list_dir("/etc/ssh") == ["sshd_config", "sshd_config.d"]


def test_list_dir_merges_mapped_files_into_their_target_folder(repo):
    t = DirectoryTransport(repo, MAPPINGS)
    assert t.list_dir("/etc/ssh") == ["sshd_config", "sshd_config.d"]
    assert t.list_dir("/etc/ssh/sshd_config.d") == ["50-pos.conf"]
    assert t.list_dir("/etc") == ["login.defs"]


def test_list_dir_merges_mapped_files_with_a_real_folder(repo):
    t = DirectoryTransport(repo, [PathMapping("roles/pos/files/login.defs", "/etc/ssh/sshd_config.d/99-x.conf")],
                           as_root_layout=True)
    assert t.list_dir("/etc/ssh/sshd_config.d") == ["10-root.conf", "99-x.conf"]
    assert t.read_file("/etc/ssh/sshd_config.d/99-x.conf", 1000) == b"PASS_MAX_DAYS 90\n"


def test_longest_target_mapping_wins(repo):
    t = DirectoryTransport(repo, [
        PathMapping("etc", "/etc"),
        PathMapping("roles/pos/files/sshd_config", "/etc/ssh/sshd_config"),
    ])
    assert t.read_file("/etc/ssh/sshd_config", 1000) == b"PermitRootLogin yes\n"
    assert t.read_file("/etc/ssh/sshd_config.d/10-root.conf", 1000) == b"MaxAuthTries 3\n"
    assert t.source_name("/etc/ssh/sshd_config") == "roles/pos/files/sshd_config"
    assert t.source_name("/etc/ssh/sshd_config.d/10-root.conf") == "etc/ssh/sshd_config.d/10-root.conf"


def test_mapping_prefix_does_not_match_a_longer_sibling_name(repo):
    t = DirectoryTransport(repo, [PathMapping("roles/pos/files/sshd.d", "/etc/ssh/sshd_config.d")])
    assert t.read_file("/etc/ssh/sshd_config.dx/50-pos.conf", 1000) is None
    assert t.read_file("/etc/ssh/sshd_config", 1000) is None


def test_mapping_pointing_outside_the_repo_is_refused(repo):
    t = DirectoryTransport(repo, [PathMapping("../outside/shadow", "/etc/shadow"),
                                  PathMapping("/etc", "/etc/host-etc")])
    assert t.read_file("/etc/shadow", 1000) is None
    assert t.read_file("/etc/host-etc/hostname", 1000) is None


def test_source_name_is_repo_relative(repo):
    t = DirectoryTransport(repo, MAPPINGS)
    assert t.source_name("/etc/ssh/sshd_config") == "roles/pos/files/sshd_config"
    assert t.source_name("/etc/ssh/sshd_config.d/50-pos.conf") == "roles/pos/files/sshd.d/50-pos.conf"
    assert t.source_name("/etc/passwd") == "/etc/passwd"
    assert DirectoryTransport(repo).source_name("/etc/ssh/sshd_config") == "etc/ssh/sshd_config"
    assert DirectoryTransport(repo).source_name("/etc/shadow") == "/etc/shadow"


def test_directory_transport_cannot_execute(repo):
    t = DirectoryTransport(repo)
    assert (t.kind(), t.can_execute, t.info.address, t.info.transport) == ("dir", False, str(repo), "dir")
    with pytest.raises(TransportError, match="the dir transport cannot run commands"):
        t.run_script("true", timeout=1, max_bytes=10)


def test_root_is_resolved(repo, tmp_path):
    link = tmp_path / "repo-link"
    link.symlink_to(repo)
    t = DirectoryTransport(link)
    assert t.root == repo.resolve()
    assert t.read_file("/etc/ssh/sshd_config", 1000) == b"PermitRootLogin no\n"
