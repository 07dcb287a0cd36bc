"""monitor replay: a UCI-format CSV and a folder of feeds through the whole pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CSV = """ID,TITLE,URL,PUBLISHER,CATEGORY,STORY,HOSTNAME,TIMESTAMP
1,Putin invites Zelensky to Moscow for summit talks,http://a.example/1,Alpha News,w,s1,a.example,1394470000000
2,Putin invites Zelensky to Moscow for summit talks - Beta,http://b.example/2,Beta Times,w,s1,b.example,1394470600000
3,Local bakery wins bread award,http://c.example/3,Gamma Post,w,s2,c.example,1394474000000
4,UPDATE 1-Putin invites Zelensky to Moscow for summit talks,http://c.example/4,Gamma Post,w,s1,c.example,1394481000000
"""


def test_replay_of_a_uci_csv_folds_the_story_and_alerts_once(tmp_path: Path) -> None:
    source = tmp_path / "news.csv"
    source.write_text(CSV)
    config = Path(__file__).resolve().parents[1] / "config.example.toml"
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "replay", str(source), "-c", str(config), "--json",
         "--database", str(tmp_path / "replay.db")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)  # --json: stdout is the JSON and nothing else
    assert summary["records"] == 4 and summary["new_items"] == 4 and summary["feeds"] == 3
    # The alert and its update (held to coalesce) are both sent at the end: none discarded.
    assert summary["stories"] == 2 and summary["alerts"] == {"sent": 2}
    assert summary["discarded"] == 0
    assert "replayed steps:" in result.stderr  # progress
    assert result.stderr.count("NEW STORY") == 1  # the console alert, once, on stderr


def test_replay_of_a_folder_and_bad_sources(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "feeds"
    ok = subprocess.run(
        [sys.executable, "-m", "monitor", "replay", str(demo), "--json"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["new_items"] == 16
    missing = subprocess.run(
        [sys.executable, "-m", "monitor", "replay", str(tmp_path / "nope.csv")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    wrong = subprocess.run(
        [sys.executable, "-m", "monitor", "replay", str(bad)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert wrong.returncode == 2 and "not a UCI News Aggregator CSV" in wrong.stderr
