"""The config file's ``${NAME}`` references: each replaced by the environment variable NAME
before validation, the secrets it brings registered for masking, and what an unset one
stands for in a command that sends nothing (a channel's secret) or fetches nothing (a feed's
address: the command reads the store, where the feed is found by the rest of its address)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from monitor import configchecks as checks
from monitor import redact

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Config keys whose value is a secret: what the environment gives them is masked in logs.
SECRET_FIELDS = frozenset({"password", "bot_token", "secret", "token", "api_key", "url"})


# What an unset channel variable stands for when secrets are not needed: valid wherever a
# string or a URL is (a token, a host, a webhook), and plainly not a real one.
_UNSET = "unset.invalid"
_UNSET_ALONE = "http://unset.invalid"
# ... and in a feed's URL: the reference itself, so that the feed reads as the config writes
# it and can be told in the store by the rest of its address; a whole URL needs a scheme and
# a host to be one: "http://unset.invalid/${FEED_URL}", shown as "${FEED_URL}", which no
# config writes (its "http://${FEED_HOST}" keeps its scheme: review20c).
_WHOLE = _UNSET_ALONE + "/"


def interpolate(
    value: Any,
    environ: Mapping[str, str],
    where: tuple[Any, ...],
    problems: list[str],
    secrets: bool = True,
    placeholders: dict[str, str] | None = None,
) -> Any:
    """Replace ``${NAME}`` with the environment variable NAME; a missing one is a problem
    (unless ``secrets`` is false and it belongs to a channel: then a placeholder stands for
    it, and ``placeholders`` says which key holds one for which variable)."""
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in environ and not secrets and _feed_url(where):
                return _feed_placeholder(m.group(0), name, whole=m.group(0) == value.strip())
            if name not in environ and not secrets and where[:1] == ("channels",):
                if placeholders is not None:
                    placeholders[checks.location(where)] = name
                return _UNSET_ALONE if m.group(0) == value.strip() else _UNSET
            if name not in environ:
                problems.append(f"{checks.location(where)}: environment variable {name} is not set")
                return ""
            if (where and where[-1] in SECRET_FIELDS) or "://" in value:
                # A password, a token, a URL or part of one; a whole URL is shown by its
                # variable's name, so that the reader can tell which feed failed.
                whole = m.group(0) == value.strip() and "://" in environ[name]
                redact.register(environ[name], name if whole else None)
            return environ[name]

        result = _ENV_REF.sub(sub, value)
        if where and where[-1] == "url":  # a feed's or a channel's: its keys, whatever named
            redact.register_keys(result)
        return result
    if isinstance(value, dict):
        return {
            k: interpolate(v, environ, (*where, k), problems, secrets, placeholders)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            interpolate(v, environ, (*where, i), problems, secrets, placeholders)
            for i, v in enumerate(value)
        ]
    return value


def unset_instead(problem: str, placeholders: dict[str, str]) -> str:
    """``problem`` with the unset variable named instead, if a placeholder caused it."""
    key = problem.partition(": ")[0]
    if key in placeholders:
        return (
            f"{key}: environment variable {placeholders[key]} is not set (only a secret may be"
            " left unset for a command that sends nothing)"
        )
    return problem


def _feed_url(where: tuple[Any, ...]) -> bool:
    return len(where) == 3 and where[0] == "feeds" and where[2] == "url"


def _feed_placeholder(reference: str, name: str, *, whole: bool) -> str:
    if not whole:
        return reference
    redact.register(_WHOLE + reference, name)
    return _WHOLE + reference


def unset_variables(url: str) -> list[str]:
    """The variables a loaded feed URL still names: those that were not set where a command
    that fetches nothing loaded the config (``load(secrets=False)``)."""
    return _ENV_REF.findall(url) if "${" in url else []


def as_written(url: str) -> str:
    """A loaded feed URL as the config writes it: ``${FEED_URL}`` for a whole URL whose
    variable was not set, else ``url`` (its unset references are in it as written)."""
    whole = url.startswith(_WHOLE) and _ENV_REF.fullmatch(url, len(_WHOLE))
    return url[len(_WHOLE) :] if whole else url


def stored_address(url: str, stored: Iterable[str]) -> str | None:
    """The one address in ``stored`` that a feed ``url`` naming unset variables stands for,
    what its variables hold there registered for masking (as ``${NAME}``): read from the
    store, the secret is known to be one. None when no address or several fit, and for a
    URL that is a variable whole (nothing in it tells one feed from another)."""
    if as_written(url) != url:
        return None
    pattern, seen = "", set()
    for i, part in enumerate(_ENV_REF.split(url)):  # text, name, text, name, ..., text
        if i % 2 == 0:
            pattern += re.escape(part)
        else:
            pattern += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
            seen.add(part)
    fits = re.compile(pattern)
    found = [(address, m) for address in stored if (m := fits.fullmatch(address))]
    if len(found) != 1:
        return None
    address, m = found[0]
    for name, value in m.groupdict().items():
        redact.register(value, name)
    redact.register_keys(address)
    return address
