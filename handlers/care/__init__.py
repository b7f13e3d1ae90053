"""The mentors' work: the visit-log form, the one-line quick log, 周报 and 我的学生."""
