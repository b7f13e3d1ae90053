"""Grades (成绩) and academic warnings (学业预警): import, per-semester summary, levels."""
