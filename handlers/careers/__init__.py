"""Employment help (seed 000 §三(四)): job postings, 岗位 for students, 报名, and the
employment surveys."""
