"""/timezone's name check: IANA names from zoneinfo, found through the `tzdata` package when the
system has no zone database (as on Lambda)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from importlib import resources

import pytest

from tzurot.commands import timezone
from tzurot.commands.formatting import local_time


@pytest.fixture
def tzdata_only():
    """zoneinfo with no system zone database: only the tzdata package."""
    zoneinfo.reset_tzpath(to=[])
    timezone._zones.cache_clear()
    zoneinfo.ZoneInfo.clear_cache()
    yield
    zoneinfo.reset_tzpath(to=None)
    timezone._zones.cache_clear()
    zoneinfo.ZoneInfo.clear_cache()


def test_names_resolve_from_tzdata_alone(tzdata_only):
    assert zoneinfo.TZPATH == ()
    assert timezone.canonical_zone("Europe/London") == "Europe/London"
    assert timezone.canonical_zone("  america/new york ") == "America/New_York"
    assert timezone.canonical_zone("asia/kolkata") == "Asia/Kolkata"
    moment = datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert local_time(moment, "America/New_York") == "Wed 15 Jul 2026, 08:00"
    # ... read from the tzdata wheel, which ships in the Lambda layer.
    assert resources.files("tzdata.zoneinfo").joinpath("Europe/London").is_file()


@pytest.mark.parametrize("text", ["Mars/Olympus", "", "New York", "../etc/passwd", "Europe/"])
def test_other_names_are_not_zones(text):
    assert timezone.canonical_zone(text) is None


def test_refusals_suggest_close_names():
    assert timezone.unknown_zone_reply("Mars/Olympus") == (
        "`Mars/Olympus` isn't a timezone I know. Please use an IANA name such as "
        "`Europe/London` or `America/New_York` (start typing to see suggestions)."
    )
    assert timezone.unknown_zone_reply("asia/tokio").endswith(
        " Did you mean `Asia/Tokyo`, `Asia/Tomsk`?"
    )
    assert timezone.unknown_zone_reply("kolkat").endswith(" Did you mean `Asia/Kolkata`?")
    assert timezone.unknown_zone_reply("").startswith("That isn't a timezone I know.")
