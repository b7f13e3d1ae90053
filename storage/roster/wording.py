"""The roster's sentences as constants that render a branch of a messages/ template."""

from __future__ import annotations

from dataclasses import dataclass

from messages.render import render

# The templates, by what they word (messages/templates/roster/<name>.j2).
CELL = "roster_cell"  # why a cell cannot be read
COLUMN = "roster_column"  # why a header's column is refused
CHECK = "roster_check"  # what the checks across rows and against the database find
FILE = "roster_file"  # why a whole file cannot be read
NOTE = "roster_note"  # what reading did that the admin should know
PLACE = "roster_place"  # where an issue is


@dataclass(frozen=True)
class Wording:
    """Sentence `what` of template `template` (messages/templates/roster/<template>.j2).

    `format(**context)` words it, as str.format did for the string constants it replaced, so
    a reason is still a module constant that callers and tests name; str() words one that
    takes no context."""

    template: str
    what: str

    def format(self, **context: object) -> str:
        return render(self.template, what=self.what, **context)

    def __str__(self) -> str:
        return self.format()
