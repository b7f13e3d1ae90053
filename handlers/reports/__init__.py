"""Reports for admins: the ledger and case-file exports, statistics and the yearly summary."""
