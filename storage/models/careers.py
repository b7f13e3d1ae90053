"""Job postings and the students' applications (报名)."""

from __future__ import annotations
