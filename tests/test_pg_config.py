"""`[monitor] database`: a path or sqlite:PATH is SQLite, a postgresql:// URL is PostgreSQL
(named without its password or query wherever it is shown), anything else is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import config as config_module
from monitor.errors import ConfigError

CASES = [
    ("monitor.db", "sqlite", "monitor.db"),
    ("sqlite:data/m.db", "sqlite", "data/m.db"),
    ("sqlite:///var/lib/monitor/m.db", "sqlite", "/var/lib/monitor/m.db"),
    ("postgresql://mon:pw1234@db.example:5433/news?sslmode=verify-full&sslrootcert=/ca.pem",
     "postgresql", "postgresql://mon@db.example:5433/news"),
    ("postgres://mon@[::1]/news", "postgresql", "postgresql://mon@[::1]/news"),
]  # fmt: skip


@pytest.mark.parametrize(("database", "kind", "shown"), CASES)
def test_the_database_setting_names_its_backend(
    tmp_path: Path, database: str, kind: str, shown: str
) -> None:
    config = config_module.loads(f'[monitor]\ndatabase = "{database}"\n', base_dir=tmp_path)
    location = config.database_location
    if kind == "sqlite":
        assert location == tmp_path / shown
        assert config.database_shown == str(tmp_path / shown)
    else:
        assert location == database  # as written: the driver takes its query options
        assert config.database_shown == shown.replace(
            "postgresql://", database.split("://")[0] + "://"
        )
        assert "pw1234" not in config.database_shown and "sslrootcert" not in config.database_shown


def test_another_scheme_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config_module.loads('[monitor]\ndatabase = "mysql://u@h/db"\n', base_dir=tmp_path)
    assert any("monitor.database: mysql://" in p for p in caught.value.problems)
