"""File formats only (xlsx, docx, charts): given rows and figures, the bytes of a file."""
