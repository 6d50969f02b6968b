"""``suid_files`` and ``world_writable``: whole-filesystem hunts an intruder's leftovers show up in.

``suid_files`` runs ``find -xdev -perm /6000 -type f`` from ``/`` and from
every other local filesystem's mount point (so a separate /home, /tmp or
/dev/shm is not skipped), then tells for each file which package owns it:
one ``awk`` pass over the dpkg file lists (merged-/usr aliases included), or
``rpm -qf`` per file on rpm systems. ``world_writable`` lists files and
directories anyone may write in /etc and the system binary and library
directories. Both are bounded in files listed and time, and both print one
tab-separated line per file with the path last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers.filemodes import parse_listing
from hardencheck.facts.probes._pipeline import option_int, option_paths, sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import ProbeRequest, RawAnswers

LOCAL_FS = "ext2|ext3|ext4|xfs|btrfs|tmpfs|zfs|f2fs|jfs|reiserfs|overlay|vfat|exfat|ntfs3"

_SUID = r"""
max=$1 fstypes=$2
[ "$(id -u)" = 0 ] || { printf 'D\tnot-root\nE\tend\n'; exit 0; }
hc_found() {
  {
    printf '/\n'
    awk -v t="^($fstypes)\$" '$3 ~ t && $2 !~ /\\/ && $2 !~ /^\/(proc|sys)(\/|$)/ { print $2 }' /proc/mounts 2>/dev/null
  } | awk '!seen[$0]++' | while IFS= read -r m; do
    find -P "$m" -xdev -perm /6000 -type f -printf '%m\t%u\t%g\t%s\t%p\0' 2>/dev/null | tr '\n\0' '?\n'
  done | awk -F'\t' '!seen[$5]++' | head -n "$max"
}
if [ -d /var/lib/dpkg/info ]; then
  printf 'D\tdpkg\n'
  {
    hc_found | sed 's/^/S\t/'
    ls -1 /var/lib/dpkg/info/ 2>/dev/null | grep '\.list$' | sed 's/^/L\t/'
  } | awk -F'\t' '
    $1 == "S" && NF >= 6 {
      p = $6; n++; order[n] = p; row[p] = $2 "\t" $3 "\t" $4 "\t" $5; want[p] = p
      if (p ~ /^\/usr\/(s?bin|lib[^\/]*)\//) want[substr(p, 5)] = p
      else if (p ~ /^\/(s?bin|lib[^\/]*)\//) want["/usr" p] = p
      next
    }
    $1 == "L" { lists[++nl] = $2; next }
    END {
      for (i = 1; i <= nl && n > 0; i++) {
        f = "/var/lib/dpkg/info/" lists[i]
        while ((getline line < f) > 0)
          if ((line in want) && !(want[line] in own)) { o = lists[i]; sub(/\.list$/, "", o); own[want[line]] = o }
        close(f)
      }
      for (i = 1; i <= n; i++) { p = order[i]; o = (p in own) ? own[p] : "-"; print "F\t" row[p] "\t" o "\t" p }
      print "O\tok"
    }'
elif command -v rpm >/dev/null 2>&1; then
  printf 'D\trpm\n'
  tab=$(printf '\t')
  hc_found | while IFS="$tab" read -r m u g s p; do
    o=$(rpm -qf --qf '%{NAME}\n' -- "$p" 2>/dev/null | head -n 1)
    case $o in ""|*" is not owned "*|*"not owned"*) o=- ;; esac
    printf 'F\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$u" "$g" "$s" "$o" "$p"
  done
  printf 'O\tok\n'
else
  printf 'D\tnone\n'
fi
printf 'E\tend\n'
"""

_WORLD = r"""
max=$1
shift
find -P "$@" -xdev \( -type f -o -type d \) -perm -0002 -printf '%m\t%u\t%g\t%y\t%p\0' 2>/dev/null \
  | tr '\n\0' '?\n' | head -n "$max" | sed 's/^/W\t/'
printf 'E\tend\n'
"""

DEFAULT_WW_PATHS = ("/etc", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
                    "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/local/lib", "/lib", "/lib64", "/boot")


def _listing(raw: RawAnswers, key: str, what: str) -> str:
    if unsupported(raw, key):
        raise FactUnavailable(f"{what} are found by a command, which a configuration directory cannot run",
                              not_applicable=True)
    cmd = command_output(raw, key)
    if cmd is None:
        raise FactUnavailable("sh is not available on the target")
    if "E\tend" not in cmd.text or cmd.truncated:
        raise FactUnavailable(f"the search for {what} did not run to the end")
    return cmd.text


class SuidFilesProbe(Probe):
    name = "suid_files"
    description = "Set-user-ID and set-group-ID files on every local filesystem, with the package owning each."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        args = [str(option_int(options, "max_files", 2000, 1, 100_000)), LOCAL_FS]
        return ProbeRequest(commands=(sh_command("suid_files", _SUID, args,
                                                 timeout=option_int(options, "timeout", 60, 5, 3600),
                                                 max_bytes=2 * 1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        text = _listing(raw, "suid_files", "set-user-ID files")
        database = next((ln.split("\t", 1)[1] for ln in text.splitlines() if ln.startswith("D\t")), "none")
        if database == "not-root":
            raise FactUnavailable("a complete set-user-ID search needs root: scan as root or with --sudo")
        if database not in ("dpkg", "rpm"):
            raise FactUnavailable("no dpkg or rpm database: cannot tell package-owned set-user-ID files from others")
        if "O\tok" not in text:
            raise FactUnavailable("the package ownership lookup of set-user-ID files failed on the target")
        fact, entries = parse_listing(text, "cmd:suid_files", ("mode", "owner", "group", "size", "package"), tag="F")
        for e in entries:
            e["package"] = None if e["package"] in ("-", "") else e["package"]
            e["packaged"] = e["package"] is not None
        fact.data = {"files": entries, "package_database": database}
        fact.locations = {k.replace("entries/", "files/"): v for k, v in fact.locations.items()}
        fact.locations["files"] = Location("cmd:suid_files", None, f"{len(entries)} set-user/group-ID file(s) on "
                                           f"the local filesystems, owners looked up in the {database} database")
        return fact


class WorldWritableProbe(Probe):
    name = "world_writable"
    description = "Files and directories anyone may write in /etc and the system binary and library directories."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        args = [str(option_int(options, "max_files", 2000, 1, 100_000)), *option_paths(options, DEFAULT_WW_PATHS)]
        return ProbeRequest(commands=(sh_command("world_writable", _WORLD, args,
                                                 timeout=option_int(options, "timeout", 60, 5, 3600),
                                                 max_bytes=2 * 1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        text = _listing(raw, "world_writable", "world-writable files")
        fact, entries = parse_listing(text, "cmd:world_writable", ("mode", "owner", "group", "type"), tag="W")
        for e in entries:
            e["type"] = {"f": "file", "d": "directory"}.get(e["type"], e["type"])
        fact.data = {"entries": entries, "paths": option_paths(options, DEFAULT_WW_PATHS)}
        fact.locations["entries"] = Location("cmd:world_writable", None, f"{len(entries)} world-writable entries under "
                                             + " ".join(fact.data["paths"]))
        return fact
