"""Aid postings, aid applications and their decisions, help requests and concern reports."""

from __future__ import annotations
