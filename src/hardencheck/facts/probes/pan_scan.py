"""``pan_scan``: cleartext card numbers in the data paths of a POS terminal or server.

Scans the profile's data paths (option ``paths``) with ``find -H`` (the
configured paths may be links, nothing below them is followed), bounded in
depth, file size and file count, then ``grep -E`` for lines holding a 13-19
digit run, and an ``awk`` stage on the target that keeps Luhn-valid runs and
prints only their first six and last four digits: the full number never
leaves the host, so it cannot reach results, logs, reports or the store.
Compressed rotated logs (``*.gz``) are read through ``gzip -cd``, capped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.pan import parse_pan_scan
from hardencheck.facts.probes._pipeline import option_int, option_paths, sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import ProbeRequest, RawAnswers

DEFAULT_PATHS = ("/var/log/pos", "/opt/pos", "/srv", "/home", "/root", "/tmp", "/var/tmp")

_AWK = r"""
function luhn(d,   i, s, c, alt) {
  s = 0; alt = 0
  for (i = length(d); i >= 1; i--) {
    c = substr(d, i, 1) + 0
    if (alt) { c = c * 2; if (c > 9) c = c - 9 }
    s = s + c; alt = !alt
  }
  return (s % 10 == 0)
}
function iin(d,   p1, p2, p3, p4) {
  p1 = substr(d, 1, 1) + 0; p2 = substr(d, 1, 2) + 0; p3 = substr(d, 1, 3) + 0; p4 = substr(d, 1, 4) + 0
  if (p1 == 4 || p1 == 6 || (p2 >= 50 && p2 <= 58) || p2 == 81 || p2 == 82) return 1
  if ((p4 >= 2200 && p4 <= 2204) || (p4 >= 2221 && p4 <= 2720)) return 1
  if (p2 == 34 || p2 == 36 || p2 == 37 || p2 == 38 || p2 == 39) return 1
  return (p3 >= 300 && p3 <= 305) || p4 == 3095 || (p4 >= 3528 && p4 <= 3589)
}
function emit(d, lno, file) {
  if (found >= mf) { if (!cut) { print "T\tfindings"; cut = 1 } return }
  found++
  printf "P\t%s\t%s\t%d\t%s\t%s\n", substr(d, 1, 6), substr(d, length(d) - 3), length(d), lno, file
}
function run(r, lno, file,   n, g, s, i, j, d, hit, hd) {
  n = 0
  while (r != "" && n < 64) {
    if (match(r, /^[0-9]+/)) { n++; g[n] = substr(r, 1, RLENGTH); r = substr(r, RLENGTH + 1) }
    if (r != "") { s[n] = substr(r, 1, 1); r = substr(r, 2) }
  }
  i = 1
  while (i <= n) {
    d = ""; hit = 0
    for (j = i; j <= n; j++) {
      if (j > i && s[j - 1] != s[i]) break
      d = d g[j]
      if (length(d) > 19) break
      if (length(d) >= 13 && iin(d) && luhn(d)) { hit = j; hd = d }
    }
    if (hit) { emit(hd, lno, file); i = hit + 1 } else i++
  }
}
{
  if (!match($0, /:[0-9]+:/)) next
  file = substr($0, 1, RSTART - 1); lno = substr($0, RSTART + 1, RLENGTH - 2); t = substr($0, RSTART + RLENGTH)
  while (match(t, /[0-9]([ -]?[0-9])+/)) {
    r = substr(t, RSTART, RLENGTH); t = substr(t, RSTART + RLENGTH)
    if (length(r) >= 13) run(r, lno, file)
  }
}
"""

_SCRIPT = r"""
d=$1 kib=$2 nf=$3 ml=$4 mf=$5 awkp=$6
shift 6
re='[0-9]([ -]?[0-9]){12,18}'
for p in "$@"; do [ -e "$p" ] || printf 'M\t%s\n' "$p"; done
hc_list() { find -H "$@" -xdev -maxdepth "$d" -type f -size -"$kib"k -print0 2>/dev/null | tr '\n\0' '?\n'; }
n=$(hc_list "$@" | head -n "$((nf + 1))" | wc -l)
printf 'C\t%s\t%s\n' "$n" "$nf"
u=$(find -H "$@" -xdev -maxdepth "$d" ! -readable -print 2>/dev/null | head -n 1000 | wc -l)
printf 'U\t%s\n' "$u"
{
  hc_list "$@" | head -n "$nf" | grep -v '\.gz$' | tr '\n' '\0' \
    | xargs -0 -r grep -E -I -H -n -m "$ml" -e "$re" -- 2>/dev/null
  hc_list "$@" | head -n "$nf" | grep '\.gz$' | head -n 200 | while IFS= read -r f; do
    gzip -cd -- "$f" 2>/dev/null | head -c $((kib * 8192)) | grep -E -I -H -n -m "$ml" --label="$f" -e "$re" 2>/dev/null
  done
} | awk -v mf="$mf" "$awkp"
"""


class PanScanProbe(Probe):
    name = "pan_scan"
    description = ("Cleartext card numbers (Luhn + known card ranges) in data paths, masked on the target: "
                   "bounded find + grep, first six and last four digits only.")

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        args = [str(option_int(options, "max_depth", 8, 1, 64)),
                str(option_int(options, "max_file_kib", 10240, 1, 1024 * 1024)),
                str(option_int(options, "max_files", 10000, 1, 1_000_000)),
                str(option_int(options, "max_lines_per_file", 50, 1, 100_000)),
                str(option_int(options, "max_findings", 1000, 1, 100_000)),
                _AWK, *option_paths(options, DEFAULT_PATHS)]
        timeout = option_int(options, "timeout", 60, 5, 3600)
        return ProbeRequest(commands=(sh_command("pan_scan", _SCRIPT, args, timeout=timeout,
                                                 max_bytes=2 * 1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if unsupported(raw, "pan_scan"):
            raise FactUnavailable("card data is searched by a command, which a configuration directory cannot run",
                                  not_applicable=True)
        cmd = command_output(raw, "pan_scan")
        if cmd is None:
            raise FactUnavailable("sh is not available on the target")
        if cmd.truncated:
            raise FactUnavailable("the card-number scan printed more than its output limit; results are incomplete")
        paths = option_paths(options, DEFAULT_PATHS)
        fact = parse_pan_scan(cmd.text, "cmd:pan_scan", paths)
        if fact.data["files_scanned"] is None:
            raise FactUnavailable("the card-number scan did not report how many files it read")
        if fact.data["unreadable"] and not fact.data["findings"]:
            raise FactUnavailable(f"{fact.data['unreadable']} file(s) or folder(s) under the data paths could not be "
                                  "read: scan as root or with --sudo")
        if fact.data["file_limit_reached"] and not fact.data["findings"]:
            raise FactUnavailable(f"more files under the data paths than max_files ({fact.data['files_scanned']}): "
                                  "the scan is incomplete; raise pan_scan.max_files or narrow pan_scan.paths")
        return fact
