"""``monitor import-opml FILE`` and ``monitor export-opml``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from monitor import config as config_module
from monitor.cli.common import add_config_option
from monitor.errors import ConfigError, InputError, MonitorError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser(
        "import-opml",
        help="add the feeds of an OPML file to the config",
        description="Append the feeds of an OPML file (those not configured yet) to the "
        "config file as [[feeds]] tables. Folder titles become tags. The file is only "
        "written when the result is a valid config.",
    )
    add_config_option(imp)
    imp.add_argument("file", metavar="FILE", help="the OPML file to read")
    imp.add_argument("--dry-run", action="store_true", help="print what would be added")
    imp.set_defaults(func=run_import)
    exp = sub.add_parser(
        "export-opml",
        help="print the configured feeds as OPML",
        description="Print the configured feeds as an OPML 2.0 document on stdout.",
    )
    add_config_option(exp)
    exp.set_defaults(func=run_export)


def run_import(args: argparse.Namespace) -> int:
    # Imported here: the XML reader is this command's, not every command's (`monitor run`).
    from monitor.opml import feeds_as_toml, read_opml

    path = config_module.resolve_path(args.config)
    config = config_module.load(path)
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    found = read_opml(data)
    known = {f.url for f in config.feeds}
    new = [f for f in {f.url: f for f in found}.values() if f.url not in known]
    addition = feeds_as_toml(new)
    if args.dry_run or not new:
        sys.stdout.write(addition)
        print(f"{len(found)} feeds in {args.file}, {len(new)} new", file=sys.stderr)
        return 0
    text = path.read_text(encoding="utf-8")
    updated = text + ("" if text.endswith("\n") else "\n") + "\n# imported from OPML\n" + addition
    try:
        config_module.loads(updated, base_dir=path.resolve().parent, source=str(path))
    except ConfigError as exc:
        raise MonitorError(
            f"the import would make the config invalid, nothing written: {exc}"
        ) from None
    _atomic_write(path, updated)
    print(f"added {len(new)} of {len(found)} feeds to {path}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from monitor.opml import write_opml

    config = config_module.load(config_module.resolve_path(args.config), secrets=False)
    sys.stdout.buffer.write(write_opml(config.feeds))
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
