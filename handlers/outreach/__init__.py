"""Notices to students and staff: broadcasts with filters, previews, approval, receipts,
催办, recall and topic subscriptions."""
