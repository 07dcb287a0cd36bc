"""config checks: what the config file's models cannot see alone, and how each problem is
located for the user (``rules[1] "peace-talks".query: ...``)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from monitor import redact
from monitor.configtypes import format_duration, parse_duration
from monitor.match import validate_rules
from monitor.match.commonwords import common_word_aliases
from monitor.match.config import EntityConfig, RuleConfig
from monitor.normalize import canonical_url
from monitor.textfold import compared_feed

if TYPE_CHECKING:
    from monitor.config import Config


def _listed(value: Any) -> list[Any]:
    # Not a list (a channel name written without brackets) is the model's problem to say,
    # once: iterated, each letter of the name would be looked up as a channel.
    return value if isinstance(value, list) else []


def _max_age_within_retention(monitor: dict[str, Any]) -> list[str]:
    """``[monitor] max_age`` no longer than ``retention``: an item retention pruned that its
    feed still lists is found again, new; only max_age keeps it from being news again."""
    from monitor.config import MonitorSection

    if "max_age" not in monitor:  # then it follows a shorter retention (MonitorSection)
        return []
    values = []
    for name in ("max_age", "retention"):
        if name not in monitor:
            values.append(float(MonitorSection.model_fields[name].default))
            continue
        try:  # a value that is not a written duration is the model's problem to say
            if not isinstance(monitor[name], str):
                return []
            values.append(parse_duration(monitor[name]))
        except ValueError:
            return []
    max_age, retention = values
    if max_age <= retention:
        return []
    return [
        f"monitor.max_age: {format_duration(max_age)} is longer than monitor.retention"
        f" ({format_duration(retention)}): an item retention pruned that its feed still lists"
        " would be news again; make max_age at most the retention"
    ]


def cross_references(raw: dict[str, Any]) -> list[str]:
    """Checks between sections, made on the raw file so they are reported with field errors."""
    problems: list[str] = []
    channels = raw.get("channels", {})
    names = set(channels) if isinstance(channels, dict) else set()
    monitor = raw.get("monitor", {})
    if isinstance(monitor, dict):
        for i, name in enumerate(_listed(monitor.get("health_channels"))):
            if isinstance(name, str) and name not in names:
                problems.append(f"monitor.health_channels[{i}]: no channel named {name!r}")
        problems.extend(_max_age_within_retention(monitor))
    feeds = raw.get("feeds", [])
    tags = _feed_tags(feeds)
    rules = raw.get("rules", [])
    if isinstance(rules, list):
        for r, rule in enumerate(rules):
            if not isinstance(rule, dict):
                continue
            for i, name in enumerate(_listed(rule.get("channels"))):
                if isinstance(name, str) and name not in names:
                    problems.append(f"rules[{r}].channels[{i}]: no channel named {name!r}")
            for i, tag in enumerate(_listed(rule.get("tags"))):
                # A feed's tags come from this file alone: a tag no feed has never matches.
                if isinstance(tag, str) and tag.casefold() not in tags:
                    known = ", ".join(sorted(tags.values())) if tags else "none"
                    problems.append(
                        f"rules[{r}].tags[{i}]: no feed has the tag {tag!r}"
                        f" (the feeds' tags: {known})"
                    )
    if isinstance(feeds, list):
        seen: dict[str, tuple[int, str]] = {}
        for i, feed in enumerate(feeds):
            url = feed.get("url") if isinstance(feed, dict) else None
            if not isinstance(url, str):
                continue
            key = feed_key(url)
            if key in seen:
                first, first_url = seen[key]
                problems.append(
                    f"feeds[{i}].url: {url} is the same feed as feeds[{first}] ({first_url})"
                )
            seen.setdefault(key, (i, url))
    return problems


def _feed_tags(feeds: Any) -> dict[str, str]:
    """The feeds' tags as rules compare them (case folded), each to a spelling of it."""
    tags: dict[str, str] = {}
    for feed in _listed(feeds):
        for tag in _listed(feed.get("tags")) if isinstance(feed, dict) else []:
            if isinstance(tag, str):
                tags.setdefault(tag.casefold(), tag)
    return tags


def warnings(config: Config, titles: Collection[str] | None = None) -> list[str]:
    """What is valid but likely a mistake, for ``check-config`` to say (a running daemon
    goes on). ``titles``: the own titles of the configured feeds without a name, where the
    store knows every one of them (None where it does not: a rule may name one not polled yet)."""
    found: list[str] = []
    feeds = _configured(config) | {compared_feed(t) for t in titles or ()}
    for r, rule in enumerate(config.rules):
        where = f"rules[{r}] {json.dumps(rule.name, ensure_ascii=False)}"
        if not rule.channels:
            found.append(f"{where}.channels: none: the rule's matches alert nowhere")
        for i, feed in enumerate(rule.feeds):
            if compared_feed(feed) in feeds:
                continue
            said = f"{where}.feeds[{i}]: no feed here is named {feed!r}"
            # Only a warning where a feed has no name here: it is known by its own title.
            if all(f.name for f in config.feeds):
                found.append(f"{said} or has that URL (a typo?)")
            elif titles is None:
                found.append(
                    f"{said} or has that URL (it matches only a feed whose own title is that)"
                )
            else:
                found.append(f"{said}, has that URL or had that title when last polled (a typo?)")
    named: dict[str, int] = {}
    for i, configured in enumerate(config.feeds):
        if not configured.name:
            continue
        first = named.setdefault(configured.name.casefold(), i)
        if first != i:
            found.append(
                f"feeds[{i}].name: {configured.name!r} is also the name of feeds[{first}]: a rule's"
                " feeds naming it takes both (give each feed a name of its own)"
            )
    found += common_word_aliases(config.entities)
    if config.database_location == config.database_path:
        folder = config.database_path.parent
        if not folder.parent.is_dir():
            found.append(
                f"monitor.database: the folder {folder.parent} does not exist: the daemon"
                " will refuse to open the database (a typo?)"
            )
    return found


def _configured(config: Config) -> set[str]:
    """The configured feeds' names and URLs as rules compare them."""
    feeds = {compared_feed(f.url) for f in config.feeds}
    return feeds | {compared_feed(f.name) for f in config.feeds if f.name}


def unknown_feeds(config: Config) -> bool:
    """Whether a rule's ``feeds`` names a feed by neither a configured name nor a URL (so by
    a feed's own title, or by mistake)."""
    configured = _configured(config)
    return any(compared_feed(f) not in configured for r in config.rules for f in r.feeds)


def feed_key(url: str) -> str:
    """What makes two feed URLs one feed: the canonical URL (scheme and host case, default
    port, tracking parameters) without a trailing slash on its path."""
    canonical = canonical_url(url) or url
    head, slash, path = canonical.partition("://")
    return head + slash + path.rstrip("/") if "/" in path.rstrip("/") else canonical


def _valid(model: type[BaseModel], raw: Any) -> list[tuple[int, Any]]:
    """The entries of a raw list that are valid on their own, with their places."""
    out: list[tuple[int, Any]] = []
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        with contextlib.suppress(ValidationError):  # reported with the other field errors
            out.append((i, model.model_validate(entry)))
    return out


def _rules(raw: Any) -> list[tuple[int, RuleConfig]]:
    """Every rule table's name and query, whatever else is wrong with it (its other problems
    are the model's to say): a bad severity must not hide a bad query or a duplicate name.
    A name or query that is not a non-empty string is "", which ``validate_rules`` skips."""
    out: list[tuple[int, RuleConfig]] = []
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(entry, dict):
            name, query = (entry.get(k) for k in ("name", "query"))
            out.append((i, RuleConfig.model_construct(
                name=name if isinstance(name, str) else "",
                query=query if isinstance(query, str) else "",
            )))  # fmt: skip
    return out


def rule_checks(raw: dict[str, Any]) -> list[str]:
    """The rule queries and names against the entities: every rule's, and every entity's
    that is valid itself."""
    rules = _rules(raw.get("rules", []))
    entities = _valid(EntityConfig, raw.get("entities", []))
    places = {"rules": [i for i, _ in rules], "entities": [i for i, _ in entities]}
    found = validate_rules([r for _, r in rules], [e for _, e in entities])

    def renumber(m: re.Match[str]) -> str:  # validate_rules numbers the valid ones only
        return f"{m.group(1)}[{places[m.group(1)][int(m.group(2))]}]"

    return [_PLACE.sub(renumber, problem, count=1) for problem in found]


_PLACE = re.compile(r"^(rules|entities)\[(\d+)\]")
_NAMED = re.compile(r"^(rules|feeds|entities)\[(\d+)\]")


def name_location(problem: str, raw: dict[str, Any]) -> str:
    """``rules[1].query: ...`` -> ``rules[1] "peace-talks".query: ...``: an index alone makes
    the user count tables in the file."""
    m = _NAMED.match(problem)
    if m is None:
        return problem
    section, index = m.group(1), int(m.group(2))
    entries = raw.get(section)
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
    label = None
    if isinstance(entry, dict):
        label = entry.get("name")
        if not label and section == "feeds" and not problem[m.end() :].startswith(".url"):
            label = entry.get("url")  # a problem with the URL shows it already
    if not isinstance(label, str) or not label:
        return problem
    name = redact.redact(json.dumps(label, ensure_ascii=False))
    return f"{m.group(0)} {name}{problem[m.end() :]}"


def location(where: tuple[Any, ...]) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(err: Any) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check its spelling)"
    elif err["type"] == "missing":
        msg = "required key is missing"
    elif err["type"] in ("union_tag_not_found", "union_tag_invalid"):  # a channel's type
        kinds = "console, telegram, email or webhook"
        tag = err.get("ctx", {}).get("tag")
        loc = (*loc, "type")
        msg = (
            f"{tag!r} is not a channel type ({kinds})"
            if tag
            else f"required key is missing ({kinds})"
        )
    return f"{location(loc)}: {msg}"


# pydantic puts the tag of a discriminated union in the error location; users never wrote it.
_UNION_TAGS = {"console", "telegram", "email", "webhook"}
