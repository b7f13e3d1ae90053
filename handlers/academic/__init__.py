"""Academic warning (学业预警): grades per semester, warning levels, who is told."""
