"""Which parameters are masked (explore14's secret_params): a secret part anywhere in the
name, a configured URL's key by its look whatever its name, ordinary values readable; a
whole URL from the environment shown by its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import config as config_module
from monitor.redact import redact

# explore14's trial and the compounds of one lower-case word nobody splits.
SECRET_NAMES = [
    "accesstoken", "authtoken", "feedtoken", "privatekey", "passcode", "access_code",
    "jwt", "PHPSESSID", "credentials", "x-hash", "oauth_verifier", "client-secret",
]  # fmt: skip
ORDINARY = (
    "https://example.org/rss?id=123&format=rss&category=world&q=ukraine+talks&author=kim"
    "&keywords=summit&side=left&hashtag=kyiv&zip_code=90210&page=2&t=ukraine-war-2022"
)


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_secret_part_anywhere_in_the_name_masks_the_value(name: str) -> None:
    assert redact(f"[feed=http://h/a.rss?{name}=Value1234&x=1]") == (
        f"[feed=http://h/a.rss?{name}=***&x=1]"
    )


def test_ordinary_parameters_stay_readable() -> None:
    assert redact(ORDINARY) == ORDINARY


def test_a_configured_feed_keys_are_masked_by_their_look_and_a_whole_url_by_its_variable(
    tmp_path: Path,
) -> None:
    hexkey, base64key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "dG9rZW4xMjM0NTY3ODkwYWJj"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path}/m.db"\n'
        f'[[feeds]]\nurl = "https://www.reddit.com/r/worldnews/.rss?feed={hexkey}&user=alice"\n'
        f'[[feeds]]\nurl = "https://h.example/f?u={base64key}&id=1234567890123456789"\n'
        '[[feeds]]\nurl = "${PRIVATE_FEED_URL}"\n'
    )
    private = "https://h.example/private/feed.xml?x=1"
    config_module.load(config, {"PRIVATE_FEED_URL": private})
    line = f"poll failed [feed={private}] {hexkey} u={base64key}"
    assert redact(line) == "poll failed [feed=${PRIVATE_FEED_URL}] *** u=***"
    # The same look in an article's link is no key of ours: an alert's link must still work.
    link = "https://news.example/story?id=5f3a2b1c9d8e7f6a5b4c3d2e"
    assert redact(link) == link
    ids = "https://h.example/f?id=1234567890123456789&u=***"  # digits only: an id, kept
    assert redact(f"https://h.example/f?id=1234567890123456789&u={base64key}") == ids
