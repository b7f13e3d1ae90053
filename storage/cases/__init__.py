"""Case files: reading, editing by section, closing proposals, the bulk import."""
