"""``auth_policy``: effective MFA, password quality, history, lockout and hashing as PAM enforces them.

Reads the PAM stacks (same files as the ``pam`` probe, so they are
collected once) and the config files those modules read, and merges them
the way the modules do: built-in default, then config file, then module
argument. A module that is commented out, ``optional`` or skipped by an
earlier jump does not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers.auth_policy import MFA_MODULES, Conf, build_policy
from hardencheck.facts.parsers.keyvalue import parse_keyvalue
from hardencheck.facts.parsers.pam import parse_pam
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

PAM_GLOB = "/etc/pam.d/*"
PWQUALITY = "/etc/security/pwquality.conf"
PWQUALITY_D = "/etc/security/pwquality.conf.d/*.conf"
FAILLOCK = "/etc/security/faillock.conf"
PWHISTORY = "/etc/security/pwhistory.conf"
LOGIN_DEFS = "/etc/login.defs"


class AuthPolicyProbe(Probe):
    name = "auth_policy"
    description = ("Effective MFA in the sshd PAM stack, and password quality, history, lockout and hashing: PAM "
                   "module arguments merged with pwquality.conf, faillock.conf, pwhistory.conf and login.defs.")

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=(FileSpec(PAM_GLOB, max_bytes=256 * 1024), FileSpec(PWQUALITY),
                                   FileSpec(PWQUALITY_D), FileSpec(FAILLOCK), FileSpec(PWHISTORY),
                                   FileSpec(LOGIN_DEFS)))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if not raw.glob(PAM_GLOB):
            raise FactUnavailable("/etc/pam.d holds no readable files")
        password_service = str(options.get("password_service", "passwd"))
        login_services = [str(s) for s in options.get("login_services", ["sshd", "login"])]
        mfa_services = [str(s) for s in options.get("mfa_services", ["sshd"])]
        mfa_modules = tuple(str(m) for m in options.get("mfa_modules", MFA_MODULES))
        pam = parse_pam(raw.text, list(dict.fromkeys([password_service, *login_services, *mfa_services])))
        warnings = list(pam.warnings)
        # libpwquality reads pwquality.conf.d/*.conf first, then pwquality.conf (which wins).
        pwquality = _conf(raw, [*raw.glob(PWQUALITY_D), PWQUALITY], "=", warnings)
        faillock = _conf(raw, [FAILLOCK], "=", warnings)
        pwhistory = _conf(raw, [PWHISTORY], "=", warnings)
        login_defs = _conf(raw, [LOGIN_DEFS], None, warnings)
        fact = build_policy(pam.data, pam.locations, pwquality, faillock, pwhistory, login_defs,
                            password_service=password_service, login_services=login_services,
                            mfa_services=mfa_services, mfa_modules=mfa_modules)
        fact.warnings[:0] = warnings
        return fact


def _conf(raw: RawAnswers, paths: list[str], separator: str | None, warnings: list[str]) -> Conf:
    values: dict[str, Any] = {}
    locations: dict[str, Location] = {}
    for path in paths:
        f = raw.file(path)
        if f is not None and f.status not in ("ok", "missing", "incomplete"):
            raise FactUnavailable(f"{path} is {f.status} (run as root or with --sudo)")
        text = raw.text(path)
        if text is None:
            continue
        part = parse_keyvalue(text, path, separator=separator)
        values.update(part.data)
        locations.update(part.locations)
        warnings.extend(part.warnings)
    return values, locations
