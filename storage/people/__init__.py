"""People: who sent a message, their roles and accounts, categories."""
