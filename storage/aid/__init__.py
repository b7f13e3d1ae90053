"""Aid postings, aid applications and their decisions, help requests and concern reports."""
