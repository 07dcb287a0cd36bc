"""The config file's ``${NAME}`` references: each replaced by the environment variable NAME
before validation, the secrets it brings registered for masking, and what an unset one
stands for in a command that sends nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
