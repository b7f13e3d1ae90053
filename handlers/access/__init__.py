"""Who someone is (identity) and what they may see or do (rules): every handler asks here."""
