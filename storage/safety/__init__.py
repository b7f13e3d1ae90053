"""Safety alerts, their messages and recipients, and the crisis-word list."""
