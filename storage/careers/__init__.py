"""Job postings and the students' applications (报名)."""
