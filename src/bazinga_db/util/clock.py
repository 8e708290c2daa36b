"""Time as the store writes and reads it: UTC ISO-8601 text with milliseconds.

Every timestamp the store writes comes from ``utc_now`` (``2025-11-13T14:35:30.123Z``), so
text order is time order. ``epoch`` reads that form back, and the other ISO-8601 forms
that adopted files hold (a space for ``T``, offsets, no fraction).
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any


def utc_now() -> str:
    """UTC ISO-8601 with milliseconds, e.g. 2025-11-13T14:35:30.123Z."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def epoch(value: Any) -> float | None:
    """Seconds since 1970 of an ISO-8601 time (UTC when it names no zone), or None."""
    if not isinstance(value, str) or not value:
        return None
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()

