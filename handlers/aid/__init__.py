"""Economic and psychological help: aid postings and applications (申请补助), 心理,
求助 and the four-level network's 上报."""
