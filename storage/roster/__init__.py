"""Roster import: read the office's files, check every row, then write all of it or nothing."""
