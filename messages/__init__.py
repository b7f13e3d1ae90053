"""User-facing texts (Simplified Chinese) as jinja2 templates."""
