"""Every SQL statement lives in monitor/store, so a second backend replaces that package only."""

import re
from pathlib import Path

import monitor

PACKAGE = Path(monitor.__file__).parent
EXECUTE = re.compile(r"\.execute(many|script|_fetchall)?\(")


def test_no_sql_outside_the_store() -> None:
    outside = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "store" not in path.relative_to(PACKAGE).parts[:1]
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if EXECUTE.search(line)
    ]
    assert outside == []
