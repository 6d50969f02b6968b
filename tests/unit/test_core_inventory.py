"""Targets from CLI specs, Ansible INI inventories and Ansible/hardencheck YAML inventories."""

from __future__ import annotations

import pytest
from core_helpers import DATA, write

from hardencheck.checks.yamlsource import SourceErrorList
from hardencheck.inventory import Target, load_inventory, parse_target_spec

# --- CLI specs ------------------------------------------------------------------------------------------------


def test_local_spec():
    t = parse_target_spec("local", asset_class="server")
    assert (t.name, t.transport, t.address, t.asset_class) == ("local", "local", "localhost", "server")


def test_dir_spec(tmp_path):
    repo = tmp_path / "config-repo"
    repo.mkdir()
    t = parse_target_spec(f"dir:{repo}", mappings=(("a", "/etc/a"),))
    assert (t.name, t.transport, t.path, t.address) == ("dir:config-repo", "dir", str(repo), str(repo))
    assert t.mappings == (("a", "/etc/a"),)
    assert t.to_dict()["path"] == str(repo)


def test_dir_spec_must_be_a_directory(tmp_path):
    with pytest.raises(SourceErrorList) as info:
        parse_target_spec(f"dir:{tmp_path / 'nope'}")
    assert info.value.errors[0].message == f"{tmp_path / 'nope'} is not a directory"


@pytest.mark.parametrize(("spec", "name", "user", "port"), [
    ("host", "host", None, None),
    ("pos-01.store.example.com", "pos-01.store.example.com", None, None),
    ("user@host:2222", "host", "user", 2222),
    ("audit@10.0.0.5", "10.0.0.5", "audit", None),
    ("10.0.0.5:22", "10.0.0.5", None, 22),
    ("[::1]:2222", "::1", None, 2222),
    ("root@[fe80::1]", "fe80::1", "root", None),
    ("ssh:alias", "alias", None, None),
])
def test_ssh_specs(spec, name, user, port):
    t = parse_target_spec(spec, asset_class="pos")
    assert (t.name, t.address, t.transport, t.user, t.port, t.asset_class) == (name, name, "ssh", user, port, "pos")


@pytest.mark.parametrize("spec", ["", "user@host:abc", "a b", "user@@host", "host:", "::1", "host:22:33",
                                  "@host", "[::1"])
def test_bad_specs(spec):
    with pytest.raises(SourceErrorList) as info:
        parse_target_spec(spec)
    assert info.value.errors[0].key == "target"


@pytest.mark.parametrize("spec", ["host:99999", "host:0"])
def test_out_of_range_port_is_rejected(spec):
    with pytest.raises(SourceErrorList):
        parse_target_spec(spec)


# --- Ansible INI ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ini():
    return {t.name: t for t in load_inventory(DATA / "inventory.ini")}


def test_ini_hosts_in_file_order(ini):
    assert list(ini) == ["bastion", "pos-01", "pos-02", "db1", "localbox"]


def test_ini_ungrouped_host(ini):
    t = ini["bastion"]
    assert (t.address, t.user, t.port, t.groups, t.transport) == ("192.0.2.1", "jump", None, (), "ssh")


def test_ini_groups_include_parents_through_children(ini):
    assert ini["pos-01"].groups == ("pos", "stores", "retail")
    assert ini["db1"].groups == ("db",)


def test_ini_group_vars_precedence(ini):
    # host var > own group (pos) > parent (stores) > grandparent (retail)
    t = ini["pos-01"]
    assert (t.address, t.user, t.port, t.asset_class) == ("10.0.0.11", "audit", 2200, "pos-terminal")
    t = ini["pos-02"]
    assert (t.address, t.user, t.port, t.asset_class) == ("10.0.0.12", "posadmin", 2222, "pos-kiosk")
    assert t.vars["hardencheck_asset_class"] == "retail"


def test_ini_key_file_and_connection(ini):
    assert ini["db1"].identity_files == ("/keys/db_audit",)
    assert ini["localbox"].transport == "local"
    assert ini["localbox"].address == "localbox"


def test_ini_detected_by_content_without_suffix(tmp_path):
    path = write(tmp_path, "hosts", "[web]\nweb1 ansible_port=2022\n")
    (t,) = load_inventory(path)
    assert (t.name, t.port, t.groups) == ("web1", 2022, ("web",))


def test_ini_bad_section_header_names_the_line(tmp_path):
    path = write(tmp_path, "hosts.ini", "[web]\nweb1\n\n[web:nonsense]\nx\n")
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert (info.value.errors[0].file, info.value.errors[0].line) == (str(path), 4)


def test_ini_unbalanced_quote_names_the_line(tmp_path):
    path = write(tmp_path, "hosts.ini", "[web]\nweb1 ansible_user='bob\n")
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert (info.value.errors[0].line, info.value.errors[0].key) == (2, "web")


def test_ini_all_vars_apply_to_every_host(tmp_path):
    path = write(tmp_path, "hosts.ini", "lone\n\n[web]\nweb1\n\n[all:vars]\nansible_user=auditor\n")
    assert {t.name: t.user for t in load_inventory(path)} == {"lone": "auditor", "web1": "auditor"}


def test_ini_group_var_quotes_are_stripped(tmp_path):
    path = write(tmp_path, "hosts.ini", '[web]\nweb1\n\n[web:vars]\nansible_user="posadmin"\n')
    assert load_inventory(path)[0].user == "posadmin"


def test_ini_without_suffix_starting_with_a_bare_host(tmp_path):
    path = write(tmp_path, "hosts", "bastion\n\n[pos]\npos-01\n")
    assert [t.name for t in load_inventory(path)] == ["bastion", "pos-01"]


def test_bad_port_is_a_source_error(tmp_path):
    path = write(tmp_path, "hosts.ini", "[web]\nweb1 ansible_port=ssh\n")
    with pytest.raises(SourceErrorList):
        load_inventory(path)


# --- YAML -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def yml():
    return {t.name: t for t in load_inventory(DATA / "inventory.yaml")}


def test_yaml_hosts(yml):
    assert list(yml) == ["lone", "pos-01", "pos-02", "db1", "local-box", "repo"]


def test_yaml_group_var_inheritance_and_groups(yml):
    t = yml["pos-01"]
    assert (t.address, t.user, t.port, t.asset_class) == ("10.0.0.11", "posadmin", 2222, "pos")
    assert t.groups == ("stores", "pos")
    t = yml["pos-02"]
    assert (t.port, t.asset_class, t.user) == (22, "pos-kiosk", "posadmin")
    t = yml["lone"]
    assert (t.address, t.user, t.groups, t.asset_class) == ("lone", "auditor", (), None)


def test_yaml_hardencheck_short_names(yml):
    t = yml["db1"]
    assert (t.address, t.user, t.port, t.identity_files, t.groups) == (
        "10.0.1.5", "dbadmin", 2022, ("/keys/db_audit",), ("servers",))


def test_yaml_transports(yml):
    assert yml["local-box"].transport == "local"
    repo = yml["repo"]
    assert (repo.transport, repo.path) == ("dir", "/srv/config-repo")
    assert repo.mappings == (("roles/pos/files/sshd_config", "/etc/ssh/sshd_config"),)


def test_target_to_dict(yml):
    assert yml["pos-02"].to_dict() == {"id": "pos-02", "transport": "ssh", "address": "10.0.0.12", "port": 22,
                                       "user": "posadmin", "asset_class": "pos-kiosk", "groups": ["stores", "pos"]}


def test_yaml_key_path_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = write(tmp_path, "inv.yaml", "all:\n  hosts:\n    h1:\n      ansible_ssh_private_key_file: ~/.ssh/k\n")
    assert load_inventory(path)[0].identity_files == (str(tmp_path / ".ssh" / "k"),)


def test_yaml_without_all_and_host_in_two_groups(tmp_path):
    path = write(tmp_path, "inv.yaml", """
        pos:
          hosts:
            pos-01:
        monitored:
          vars:
            asset_class: pos
          hosts:
            pos-01:
        """)
    (t,) = load_inventory(path)
    assert t.groups == ("pos", "monitored")
    assert t.asset_class == "pos"


def test_yaml_host_vars_beat_group_vars_from_a_later_group(tmp_path):
    path = write(tmp_path, "inv.yaml", """
        all:
          children:
            pos:
              hosts:
                pos-01:
                  ansible_port: 22
            monitored:
              vars:
                ansible_port: 2200
              hosts:
                pos-01:
        """)
    assert load_inventory(path)[0].port == 22


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "an inventory is a mapping of groups"),
    ("all:\n  host:\n    a:\n", "unknown key(s) ['host'] in group"),
    ("all: [a, b]\n", "a group must be a mapping (hosts/children/vars)"),
])
def test_yaml_structure_errors(tmp_path, text, message):
    path = write(tmp_path, "inv.yaml", text)
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert info.value.errors[0].message == message
    assert info.value.errors[0].file == str(path)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "inv.yaml", "all:\n  hosts:\n    a: b: c\n")
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert info.value.errors[0].line == 3


def test_missing_inventory_file(tmp_path):
    with pytest.raises(SourceErrorList, match="no such file"):
        load_inventory(tmp_path / "nope.yaml")


def test_target_identity_ignores_vars():
    a = Target("h", "ssh", vars={"x": 1})
    b = Target("h", "ssh", vars={"x": 2})
    assert a == b and hash(a) == hash(b)


# --- precedence, detection and bad values ----------------------------------------------------------------------

def test_ini_child_group_vars_beat_parent_group_vars_whatever_the_section_order(tmp_path):
    path = write(tmp_path, "hosts.ini", "[stores]\npos-01\n\n[pos]\npos-01\n\n[stores:children]\npos\n\n"
                                        "[pos:vars]\nansible_user=posadmin\n\n[stores:vars]\nansible_user=storeadmin\n\n"
                                        "[all:vars]\nansible_user=auditor\nasset_class=server\n")
    (t,) = load_inventory(path)
    assert (t.user, t.asset_class, t.groups) == ("posadmin", "server", ("stores", "pos"))


def test_ini_group_var_with_spaces_and_quotes(tmp_path):
    path = write(tmp_path, "hosts.ini", "[web]\nweb1\n\n[web:vars]\nasset_class = 'pos terminal'  # note\n")
    assert load_inventory(path)[0].asset_class == "pos terminal"


@pytest.mark.parametrize(("text", "line"), [
    ("[web]\nweb1\n\n[web:vars]\nansible_user\n", 5),
    ("[web]\nweb1 ansible_user\n", 2),
])
def test_ini_var_without_a_value_is_a_located_error(tmp_path, text, line):
    path = write(tmp_path, "hosts.ini", text)
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert info.value.errors[0].line == line
    assert "expected key=value" in info.value.errors[0].message


def test_every_bad_port_is_reported_with_host_and_line(tmp_path):
    path = write(tmp_path, "hosts.ini", "[web]\nweb1 ansible_port=ssh\nweb2 ansible_port=70000\nweb3 ansible_port=22\n")
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert [(e.file, e.line, e.key) for e in info.value.errors] == [(str(path), 2, "web1"), (str(path), 3, "web2")]
    assert info.value.errors[0].message == "ansible_port: 'ssh' is not a port number (1-65535)"


@pytest.mark.parametrize("port", ["true", "0", "-22", "22.5"])
def test_yaml_bad_port_names_the_host_line(tmp_path, port):
    path = write(tmp_path, "inv.yaml", f"all:\n  hosts:\n    ok:\n    h1:\n      port: {port}\n")
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert [(e.line, e.key) for e in info.value.errors] == [(4, "h1")]


def test_yaml_group_defined_twice_is_one_group(tmp_path):
    path = write(tmp_path, "inv.yaml", """
        stores:
          vars: {asset_class: store}
          children:
            pos:
              vars: {ansible_user: posadmin}
        pos:
          hosts:
            pos-01:
        """)
    (t,) = load_inventory(path)
    assert (t.user, t.asset_class, t.groups) == ("posadmin", "store", ("pos", "stores"))


def test_yaml_child_group_vars_beat_parent_group_vars_listed_later(tmp_path):
    path = write(tmp_path, "inv.yaml", """
        pos:
          vars: {ansible_user: posadmin}
          hosts:
            pos-01:
        stores:
          vars: {ansible_user: storeadmin}
          children:
            pos:
        """)
    assert load_inventory(path)[0].user == "posadmin"


def test_yaml_hosts_must_be_a_mapping(tmp_path):
    path = write(tmp_path, "inv.yaml", "all:\n  hosts: [a, b]\n")
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert (info.value.errors[0].line, info.value.errors[0].message) == (2, "hosts must be a mapping")


@pytest.mark.parametrize(("text", "names"), [
    ("all:\n  hosts:\n    h1:\n", ["h1"]),
    ("bastion ansible_host=192.0.2.1\n", ["bastion"]),
    ("# comment\nweb1\nweb2\n", ["web1", "web2"]),
])
def test_suffix_less_inventories_are_told_by_content(tmp_path, text, names):
    assert [t.name for t in load_inventory(write(tmp_path, "hosts", text))] == names


def test_suffix_less_broken_yaml_reports_the_yaml_error(tmp_path):
    path = write(tmp_path, "hosts", "all:\n  hosts:\n    a: b: c\n")
    with pytest.raises(SourceErrorList) as info:
        load_inventory(path)
    assert info.value.errors[0].line == 3
    assert info.value.errors[0].message.startswith("invalid YAML")
