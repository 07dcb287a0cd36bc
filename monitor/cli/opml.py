"""``monitor import-opml FILE`` and ``monitor export-opml``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import config as config_module
from monitor.cli import EXIT_USAGE
from monitor.cli.common import add_config_option, read_store
from monitor.configenv import as_written, unset_variables
from monitor.errors import ConfigError, InputError, StoreError
from monitor.plural import plural
from monitor.redact import shown

if TYPE_CHECKING:
    from monitor.opml import OpmlFeed


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser(
        "import-opml",
        help="add the feeds of an OPML file to the config",
        description="Append the feeds of an OPML file (those not configured yet) to the "
        "config file as [[feeds]] tables. Folder titles and an outline's category become "
        "tags; a feed listed twice keeps its first name and all its tags; a name another "
        'feed has already is made distinct ("Reuters (2)"), said on stderr. A feed configured '
        "already (its URL in any form: letter case, a trailing slash) is skipped. An outline "
        "that cannot "
        "be a feed (not an http(s) URL) is skipped with a line naming it, and the exit code "
        "is then 2. The file is only written when the result is a valid config.",
    )
    add_config_option(imp)
    imp.add_argument("file", metavar="FILE", help="the OPML file to read")
    imp.add_argument("--dry-run", action="store_true", help="print what would be added")
    imp.set_defaults(func=run_import)
    exp = sub.add_parser(
        "export-opml",
        help="print the configured feeds as OPML",
        description="Print the configured feeds as an OPML 2.0 document on stdout, each "
        "named by its name in the config, else by the title its feed gave (from the store), "
        "else by its URL.",
    )
    add_config_option(exp)
    exp.set_defaults(func=run_export)


def run_import(args: argparse.Namespace) -> int:
    # Imported here: the XML reader is this command's, not every command's (`monitor run`).
    from monitor.configchecks import feed_key
    from monitor.opml import feeds_as_toml, merge_duplicates, read_opml, why_invalid

    path = config_module.resolve_path(args.config)
    # It sends nothing: the channels' secrets may live only in the daemon's environment.
    config = config_module.load(path, secrets=False)
    for i, url in enumerate(f.url for f in config.feeds):  # a feed is told by its address
        for name in unset_variables(url):
            raise InputError(
                f"feeds[{i}].url: environment variable {name} is not set (import-opml tells"
                " the file's feeds from those configured by their addresses)"
            )
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    found = read_opml(data)
    known = {feed_key(f.url): f.url for f in config.feeds}
    candidates: list[OpmlFeed] = []
    configured = 0
    # A feed configured already is skipped, whatever form its URL takes in the file (letter
    # case, a trailing slash): one more [[feeds]] table for it would make the config invalid.
    for feed in merge_duplicates(found, feed_key):
        same = known.get(feed_key(feed.url))
        if same is None:
            candidates.append(feed)
            continue
        configured += 1
        if same != feed.url:  # the same URL is said in the count only: a re-import is usual
            label = f"{feed.name!r} " if feed.name else ""
            print(shown(f"skipped outline {label}({feed.url[:200]}): already configured as "
                        f"{same[:200]}"), file=sys.stderr)  # fmt: skip
    # An outline that cannot be a feed (a javascript: or relative URL) is skipped with a line
    # of its own and the rest imported, in a dry run as in the real one: an export from
    # another reader often carries a few, and refusing hundreds of feeds over one helps no one.
    new: list[OpmlFeed] = []
    skipped = 0
    for feed in candidates:
        why = why_invalid(feed)
        if why is None:
            new.append(feed)
        else:
            skipped += 1
            label = f"{feed.name!r} " if feed.name else ""
            print(shown(f"skipped outline {label}({feed.url[:200]}): {why}"), file=sys.stderr)
    new = _distinct_names(new, [f.name for f in config.feeds if f.name])
    code = EXIT_USAGE if skipped else 0  # the file had bad input, even if the rest went in
    addition = feeds_as_toml(new)
    tail = f", {configured} already configured" if configured else ""
    tail += f", {skipped} skipped" if skipped else ""
    if args.dry_run or not new:
        sys.stdout.write(addition)
        print(f"{plural(len(found), 'feed')} in {args.file}, {len(new)} new{tail}", file=sys.stderr)
        return code
    text = path.read_text(encoding="utf-8")
    updated = text + ("" if text.endswith("\n") else "\n") + "\n# imported from OPML\n" + addition
    try:
        config_module.loads(
            updated, base_dir=path.resolve().parent, source=str(path), secrets=False
        )
    except ConfigError as exc:
        raise InputError(
            f"the import would make the config invalid, nothing written: {exc.message}"
        ) from None
    _atomic_write(path, updated)
    print(f"added {len(new)} of {plural(len(found), 'feed')} to {path}{tail}", file=sys.stderr)
    return code


def _distinct_names(new: list[OpmlFeed], taken: list[str]) -> list[OpmlFeed]:
    """``new`` with each name another feed has already (in the config, or earlier in the
    file) made distinct ("Reuters (2)"), said on stderr: a rule's ``feeds = ["Reuters"]``
    would otherwise take both feeds."""
    from dataclasses import replace

    names = {n.casefold() for n in taken}
    out: list[OpmlFeed] = []
    for feed in new:
        name = feed.name
        if name and name.casefold() in names:
            n = 2
            while f"{name} ({n})".casefold() in names:
                n += 1
            print(shown(f"named {feed.url[:200]} {name + f' ({n})'!r}: another feed is named "
                        f"{name!r}"), file=sys.stderr)  # fmt: skip
            feed = replace(feed, name=f"{name} ({n})")
        if feed.name:
            names.add(feed.name.casefold())
        out.append(feed)
    return out


def run_export(args: argparse.Namespace) -> int:
    from monitor.opml import write_opml
    from monitor.store.feeds import all_feeds

    config = config_module.load(config_module.resolve_path(args.config), secrets=False)
    try:
        stored = read_store(config, all_feeds)
    except StoreError as exc:  # no store yet: the config's names, else URLs
        print(f"monitor: feed titles from the config only ({exc})", file=sys.stderr)
        stored = []
    titles = {f.url: f.title for f in stored if f.title}
    # A feed whose URL names a variable not set here is exported as the config writes it:
    # what the variable holds is not known here, and a guess from the store would be a secret.
    feeds = [f.model_copy(update={"url": as_written(f.url)}) for f in config.feeds]
    for i, feed in enumerate(feeds):
        for name in unset_variables(feed.url):
            print(f"monitor: warning: feeds[{i}].url: environment variable {name} is not set"
                  " here; exported as written", file=sys.stderr)  # fmt: skip
    sys.stdout.buffer.write(write_opml(feeds, known_titles=titles))
    configured = {f.url for f in config.feeds}
    for state in stored:
        # The config's URLs are exported (importing them back finds them known); a feed that
        # moved is said, so the user updates the config and the export with it.
        if state.url in configured and state.fetch_url and state.fetch_url != state.url:
            print(
                shown(
                    f"monitor: {state.url} moved permanently to {state.fetch_url}; exported"
                    " as configured: put the new URL in the config"
                ),
                file=sys.stderr,
            )
    return 0


def _atomic_write(path: Path, text: str) -> None:
    """Write beside the file and rename over it, so a crash never leaves half a config."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
