"""``authorized_keys``: every user's SSH authorized keys, with SHA256 fingerprints.

Where sshd looks comes from ``sshd -T`` (``authorizedkeysfile``), else the
first AuthorizedKeysFile line of sshd_config and its drop-ins outside a Match
block, else sshd's default ``.ssh/authorized_keys .ssh/authorized_keys2``.
The ``%h``, ``%u``, ``%U`` and ``%%`` tokens are expanded for each account of
/etc/passwd (and /root), relative paths taken from the home directory, as
sshd does. Match blocks and AuthorizedKeysCommand are not evaluated (the fact
says which setting was used); files that only a Match block names are listed
apart (``match_only_files``), for review, and never count as keys.

Why the work is split this way: ``sshd -T`` is the most expensive command of
the probe on the target, and the ``sshd`` probe runs it anyway. So this probe
declares the very same :data:`~hardencheck.facts.probes.sshd.SSHD_T` spec (the
collector runs it once per host) and its own script cannot see that output.
The script therefore searches the files of EVERY pattern that can be the
effective one (the default, and each AuthorizedKeysFile value of the config
files, Match blocks included), framing each file with the patterns that
produced it; :meth:`AuthorizedKeysProbe.parse` then decides the effective
patterns on the auditor and keeps their files only, so the fact is the one a
search of the effective patterns alone would give. One ``awk`` builds the
whole list (reading passwd and the configs itself); the shell tests files with
builtins and starts one ``head -c`` per existing file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import clean, show
from hardencheck.facts.parsers.authorized_keys import parse_authorized_keys, parse_key_line
from hardencheck.facts.probes._pipeline import frames, nonce, sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.probes.sshd import SSHD_T
from hardencheck.facts.raw import ProbeRequest, RawAnswers

DEFAULT_AKF = ".ssh/authorized_keys .ssh/authorized_keys2"
MAX_PATTERNS = 64
"""Distinct AuthorizedKeysFile patterns the script expands (real configs have one to three)."""
MAX_CANDIDATES = 20000
MAX_MATCH_KEYS = 200

# Runs as ``awk PROG /etc/passwd MAX_PATTERNS MAX_CANDIDATES CONFIG...``; only a BEGIN block, so
# awk itself opens no operand (getline on a missing or unreadable file just returns -1). awk reads
# only these root-owned files: the keys files, which their users control, are read by ``head -c``
# after the shell's ``[ -f ]`` (mawk dies reading a directory, and a line reader cannot cap a
# file that has no newline). Prints one line per header for the
# shell: ``pat:I:ORIGINS:PATTERN`` (ORIGINS: default, global = the first AuthorizedKeysFile line
# outside Match, config = a later one, match = inside a Match block), ``cfg:I,J:RAW`` (the first
# global line: its patterns in order and its raw value), then one candidate per distinct path,
# ``U,I,USER[:U,I,USER...]:/PATH`` (for each pattern I that produces PATH, the first user, by
# passwd order U, it produces it for), and ``listed:N[:capped]`` last.
_AWK = r"""
function args(s, out,   n, i, c, d, w, q, inw, len) {
  # as argv_split of sshd: blanks separate words, double or single quotes group, \ escapes a
  # quote, a backslash or (unquoted) a blank, and a word that starts with # ends the line
  n = 0; q = ""; inw = 0; len = length(s)
  for (i = 1; i <= len; i++) {
    c = substr(s, i, 1)
    if (!inw) {
      if (c == " " || c == "\t") continue
      if (c == "#") break
      inw = 1; w = ""
    }
    if (c == "\\") {
      d = substr(s, i + 1, 1)
      if (d == "\"" || d == "\047" || d == "\\" || (q == "" && d == " ")) { i++; w = w d } else w = w c
    } else if (q == "" && (c == " " || c == "\t")) { out[++n] = w; inw = 0 }
    else if (q == "" && (c == "\"" || c == "\047")) q = c
    else if (q != "" && c == q) q = ""
    else w = w c
  }
  if (inw) { if (q != "") return -1; out[++n] = w }
  return n
}
function tilde(p,   s, i, name, rest, h, line, f) {
  # sshd (as root) expands ~ when it reads the option: ~/x is in the home of root, ~name/x in that of name
  s = substr(p, 2); i = index(s, "/")
  name = i > 1 ? substr(s, 1, i - 1) : ""
  rest = i > 0 ? substr(s, i + 1) : s
  h = ""
  while ((getline line < PW) > 0) {
    split(line, f, ":")
    if ((name == "" && f[3] ~ /^0+$/) || (name != "" && f[1] == name)) { h = f[6]; break }
  }
  close(PW)
  if (h == "") return p
  return h (h ~ /\/$/ ? "" : "/") rest
}
function addpat(p, origin) {
  if (p == "" || p == "none") return -1
  if (substr(p, 1, 1) == "~") p = tilde(p)
  if (!(p in pidx)) {
    if (np >= MAXP) return -1
    pidx[p] = np; pat[np] = p; porg[np] = origin; np++
  } else if (index("," porg[pidx[p]] ",", "," origin ",") == 0) porg[pidx[p]] = porg[pidx[p]] "," origin
  return pidx[p]
}
function expand(p, u, id, h,   out, i, c) {
  # one pass, as percent_expand of sshd: a home holding "%u" is not expanded again
  out = ""
  while ((i = index(p, "%")) > 0) {
    c = substr(p, i + 1, 1)
    out = out substr(p, 1, i - 1)
    if (c == "%") out = out "%"
    else if (c == "h") out = out h
    else if (c == "u") out = out u
    else if (c == "U") out = out id
    else out = out "%" c
    p = substr(p, i + 2)
  }
  out = out p
  return substr(out, 1, 1) == "/" ? out : h "/" out
}
function user(line,   f, i, p, key) {
  if (split(line, f, ":") < 6 || substr(f[6], 1, 1) != "/") return
  nu++
  for (i = 0; i < np; i++) {
    p = expand(pat[i], f[1], f[3], f[6])
    key = i SUBSEP p
    if (key in seen) continue
    if (!(p in tags)) {
      if (npath >= MAXC) { capped = 1; continue }
      order[++npath] = p; tags[p] = nu "," i "," f[1]
    } else tags[p] = tags[p] ":" nu "," i "," f[1]
    seen[key] = 1
  }
}
BEGIN {
  PW = ARGV[1]; MAXP = ARGV[2] + 0; MAXC = ARGV[3] + 0; np = nu = npath = 0
  addpat(".ssh/authorized_keys", "default"); addpat(".ssh/authorized_keys2", "default")
  for (a = 4; a < ARGC; a++) {
    inmatch = 0
    while ((getline line < ARGV[a]) > 0) {
      sub(/[ \t\r\f]+$/, "", line); sub(/^[ \t]+/, "", line)
      if (line == "" || substr(line, 1, 1) == "#" || !match(line, /^[^ \t=]+/)) continue
      kw = tolower(substr(line, 1, RLENGTH)); rest = substr(line, RLENGTH + 1)
      sub(/^[ \t]*=?[ \t]*/, "", rest)
      if (kw == "match") { inmatch = 1; continue }
      if (kw != "authorizedkeysfile" || (k = args(rest, w)) <= 0) continue
      origin = inmatch ? "match" : (gotcfg ? "config" : "global")
      first = ""
      for (j = 1; j <= k; j++) {
        x = addpat(w[j], origin)
        if (x >= 0) first = first (first == "" ? "" : ",") x
      }
      if (origin == "global") { gotcfg = 1; cfg = "cfg:" first ":" rest }
    }
    close(ARGV[a])
  }
  for (i = 0; i < np; i++) print "pat:" i ":" porg[i] ":" pat[i]
  if (gotcfg) print cfg
  while (!capped && (getline line < PW) > 0) user(line)
  close(PW)
  user("root:x:0:0::/root:/bin/sh")
  for (i = 1; i <= npath; i++) print tags[order[i]] ":" order[i]
  print "listed:" npath (capped ? ":capped" : "")
}
"""

# Candidates (lines starting with a digit) are tested with builtins; any other awk line is a header
# passed through. A missing file under a directory we may not search is reported, as sshd would
# be unable to read it either.
assert "'" not in _AWK  # it is single-quoted in the script
_SCRIPT = (r"""
n=$1
awk '""" + _AWK + r"""' /etc/passwd """ + f"{MAX_PATTERNS} {MAX_CANDIDATES}" + r""" \
    /etc/ssh/sshd_config.d/*.conf /etc/ssh/sshd_config | while IFS= read -r h; do
  case $h in
  [0-9]*)
    t=${h%%:/*}; f=${h#"$t":}
    if [ -f "$f" ]; then
      if [ -r "$f" ]; then
        printf '\n@@%s:file:%s\n' "$n" "$h"
        head -c 262144 -- "$f"
      else
        printf '\n@@%s:unreadable:%s\n' "$n" "$h"
      fi
    else
      d=${f%/*}
      for x in "$d" "${d%/*}"; do
        if [ -d "$x" ] && ! [ -x "$x" ]; then printf '\n@@%s:unreadable:%s:%s\n' "$n" "$t" "$x"; break; fi
      done
    fi ;;
  *) printf '\n@@%s:%s\n' "$n" "$h" ;;
  esac
done
printf '\n@@%s:end:\n' "$n"
""")

_NUM = re.compile(r"[0-9]{1,9}")
_SSHD_T_AKF = re.compile(r"authorizedkeysfile[ \t\r\v\f]+")

Tag = tuple[int, int, str]  # (passwd order of the user, pattern index, user)


def _num(s: str) -> int | None:
    return int(s) if _NUM.fullmatch(s) else None


def _split_tags(rest: str) -> tuple[list[Tag], str]:
    """``U,I,USER:U,I,USER:/PATH`` -> tags and path (a user name never holds ``:``; a path starts with
    ``/``)."""
    cut = rest.find(":/")
    if cut < 0:
        return [], rest
    tags = []
    for group in rest[:cut].split(":")[:MAX_PATTERNS]:
        u, _, rest_group = group.partition(",")
        i, _, name = rest_group.partition(",")
        if (un := _num(u)) is not None and (pi := _num(i)) is not None:
            tags.append((un, pi, name))
    return tags, rest[cut + 1:]


def _sshd_t_value(raw: RawAnswers) -> str | None:
    """The ``authorizedkeysfile`` value ``sshd -T`` printed, if it ran (whatever its exit code, as before)."""
    cmd = raw.command(SSHD_T.key)
    if cmd is None or cmd.status != "ok":
        return None
    for line in cmd.text.split("\n"):
        m = _SSHD_T_AKF.match(line)
        if m:
            return line[m.end():] or None
    return None


def _known_patterns(value: str, known: dict[str, int]) -> tuple[list[int], list[str]]:
    """Indices of the searched patterns ``value`` names, in its order, and the words it names that were
    not searched. sshd -T joins patterns with one blank and does not quote them, so a known pattern that
    holds a blank is matched whole (longest first) before falling back to blank-separated words."""
    found: list[int] = []
    unknown: list[str] = []
    by_length = sorted((p for p in known if p), key=len, reverse=True)
    pos, end = 0, len(value)
    while pos < end:
        if value[pos] in " \t":
            pos += 1
            continue
        if len(found) + len(unknown) >= MAX_PATTERNS:
            unknown.append(value[pos:pos + 80])
            break
        for p in by_length:
            stop = pos + len(p)
            if value.startswith(p, pos) and (stop == end or value[stop] in " \t"):
                found.append(known[p])
                pos = stop
                break
        else:
            stop = pos
            while stop < end and value[stop] not in " \t":
                stop += 1
            if value[pos:stop] != "none":
                unknown.append(value[pos:stop])
            pos = stop
    return found, unknown


class _Search:
    """The script's output, split into patterns, the first global config value, and candidates."""

    def __init__(self, parts: list[tuple[str, str]]):
        self.patterns: dict[int, tuple[str, set[str]]] = {}
        self.cfg: tuple[str, list[int]] | None = None
        self.entries: list[tuple[str, list[Tag], str, str]] = []  # (file|unreadable, tags, path, body)
        self.listed = self.capped = False
        for header, body in parts:
            kind, _, rest = header.partition(":")
            if kind == "pat" and len(self.patterns) < MAX_PATTERNS:
                i, _, rest = rest.partition(":")
                origins, _, pattern = rest.partition(":")
                if (index := _num(i)) is not None:
                    self.patterns[index] = (pattern, set(origins.split(",")))
            elif kind == "cfg" and self.cfg is None:
                order, _, value = rest.partition(":")
                self.cfg = (value, [x for x in map(_num, order.split(",")) if x is not None])
            elif kind in ("file", "unreadable"):
                tags, path = _split_tags(rest)
                self.entries.append((kind, tags, path, body))
            elif kind == "listed":
                self.listed, self.capped = True, rest.endswith(":capped")


class AuthorizedKeysProbe(Probe):
    name = "authorized_keys"
    description = "SSH authorized_keys entries of every account (AuthorizedKeysFile expanded), with SHA256 fingerprints."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(commands=(SSHD_T, sh_command("authorized_keys", _SCRIPT, [nonce()], timeout=30,
                                                         max_bytes=8 * 1024 * 1024)))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if unsupported(raw, "authorized_keys"):
            raise FactUnavailable("home directories are searched by a command, which a configuration directory "
                                  "cannot run", not_applicable=True)
        cmd = command_output(raw, "authorized_keys")
        if cmd is None:
            raise FactUnavailable("sh is not available on the target")
        parts = frames(cmd.text, cmd.argv[4]) if len(cmd.argv) > 4 else []
        if not parts or parts[-1][0] != "end:" or cmd.truncated:
            raise FactUnavailable("the authorized_keys search did not run to the end")
        search = _Search(parts[:-1])
        defaults = {p for p, origins in search.patterns.values() if "default" in origins}
        if not search.listed or defaults != set(DEFAULT_AKF.split()):
            raise FactUnavailable("the authorized_keys search could not list the candidate files "
                                  "(awk failed?)")
        akf, akf_source, effective = self._effective(raw, search)

        position = {i: k for k, i in reversed(list(enumerate(effective)))}
        files: list[tuple[tuple[int, int], str, str, str]] = []
        blocked: list[tuple[tuple[int, int], str]] = []
        match_only: list[dict[str, Any]] = []
        match_blocked: list[str] = []
        for kind, tags, path, body in search.entries:
            mine = [((u, position[i]), name) for u, i, name in tags if i in position]
            if mine:
                order, name = min(mine, key=lambda t: t[0])
                if kind == "file":
                    files.append((order, name, clean(path), body))
                else:
                    blocked.append((order, clean(path)))
                continue
            named = [t for t in tags if "match" in search.patterns.get(t[1], ("", set()))[1]]
            if not named:
                continue  # a pattern sshd does not use: searched only in case it was the effective one
            if kind == "unreadable":
                match_blocked.append(clean(path))
            elif len(match_only) < MAX_MATCH_KEYS:
                match_only.append(_match_only_file(named[0][2], clean(path), body,
                                                   [search.patterns[t[1]][0] for t in named]))
        if blocked:
            blocked.sort(key=lambda b: b[0])
            raise FactUnavailable(f"{len(blocked)} authorized_keys location(s) cannot be read "
                                  f"(e.g. {blocked[0][1]}): scan as root or with --sudo")
        files.sort(key=lambda f: f[0])
        fact = parse_authorized_keys([(name, path, body) for _, name, path, body in files], akf,
                                     f"AuthorizedKeysFile ({clean(akf_source)})")
        fact.data["authorized_keys_file_source"] = clean(akf_source)
        if match_only:
            fact.data["match_only_files"] = match_only
        if match_blocked:
            fact.warnings.append(f"{len(match_blocked)} location(s) only a Match block names cannot be read "
                                 f"(e.g. {match_blocked[0]}); they are not part of the keys")
        if search.capped:
            fact.warnings.append(f"more than {MAX_CANDIDATES} candidate files; the rest were not searched")
        return fact

    @staticmethod
    def _effective(raw: RawAnswers, search: _Search) -> tuple[str, str, list[int]]:
        """``(AuthorizedKeysFile value, where it came from, indices of its searched patterns in order)``.

        A pattern sshd -T names that no config file the script read sets (an Include outside
        sshd_config.d) was not searched: the fact is then unavailable rather than silently short.
        """
        known = {p: i for i, (p, _) in search.patterns.items()}
        value = _sshd_t_value(raw)
        if value is not None:
            effective, unknown = _known_patterns(value, known)
            if unknown:
                raise FactUnavailable(f"`sshd -T` names AuthorizedKeysFile {show(unknown[0])}, which "
                                      "neither sshd_config nor sshd_config.d sets (an Include elsewhere?): its "
                                      "files were not searched")
            return value, "sshd-T", effective
        if search.cfg is not None:
            value, order = search.cfg
            return value, "sshd_config", [i for i in order if i in search.patterns]
        effective, _ = _known_patterns(DEFAULT_AKF, known)
        return DEFAULT_AKF, "default", effective


def _match_only_file(user: str, path: str, body: str, patterns: list[str]) -> dict[str, Any]:
    """A keys file only a Match block names: listed for review, never among the fact's ``keys``."""
    prints = []
    for line in body.split("\n"):
        key = parse_key_line(line) if len(line) < 65536 else None
        if key is not None:
            prints.append(key["fingerprint"])
            if len(prints) >= MAX_MATCH_KEYS:
                break
    return {"user": clean(user), "file": path, "patterns": [clean(p) for p in dict.fromkeys(patterns)],
            "fingerprints": prints}
