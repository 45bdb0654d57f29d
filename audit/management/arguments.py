"""Argument types shared by the audit commands."""

from __future__ import annotations

import argparse
import datetime as dt

from django.utils.dateparse import parse_date, parse_datetime


def instant(value: str) -> dt.datetime:
    """An ISO 8601 date or date-time; a date means its midnight, and no offset means UTC."""
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or date-time: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
