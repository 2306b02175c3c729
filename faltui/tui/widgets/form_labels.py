"""Display text of the parameter form: labels, help lines, placeholders, error summaries.

Display only: every rule about what a field accepts lives in ``faltui.core.schema.input``.
Every schema string is server text: what these return went through the one sanitiser
(``faltui.tui.format``), and the form puts it into ``Text``/``Content``, never markup.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from faltui.core.outputs import url_file_name
from faltui.core.schema import Field, value_text
from faltui.core.seeds import RANDOM, is_seed_field
from faltui.tui.format import one_line

#: Longest help line (a field description) shown; a 10,000-character line is cut.
HELP_LIMIT = 2000
#: Longest field name or value label shown.
NAME_LIMIT = 200


def label_of(field: Field) -> str:
    """The name a user sees: the field name (titles are often vague, names are what the API
    takes and what error messages use)."""
    return one_line(field.name or field.title or "?", NAME_LIMIT) or "?"


def help_of(field: Field) -> str:
    """The description, dedented, with runs of blank space collapsed (shown literally)."""
    text = textwrap.dedent(str(field.description or "")).strip()
    return one_line(re.sub(r"\s+", " ", text), HELP_LIMIT)


def shown_value(value: object) -> str:
    """A schema value (an enum choice, a constant) as a one-line literal label; ``""`` shows
    as two quotes."""
    return one_line(value_text(value), NAME_LIMIT) or '""'


def placeholder_for(field: Field) -> str:
    """``random`` for a seed; ``e.g. <first example>`` when the schema has one; else whether
    the field is required."""
    if is_seed_field(field):
        return RANDOM
    examples = [e for e in field.examples if e is not None and e != ""]
    if examples:
        example = value_text(examples[0]).replace("\n", " ")
        if example.startswith(("http://", "https://")) and len(example) > 40:
            example = short_url(example)
        return f"e.g. {one_line(example, 60)}"
    return "required" if field.required else "optional"


def short_url(url: str) -> str:
    """A long URL cut to its host and file name (``https://host/…/file.mp3``), for hints.

    An input's placeholder does not wrap inside a long word, so a full example URL would
    show as a bare ``e.g.`` in a narrow pane.
    """
    name = url_file_name(url)
    if not name:
        return url
    scheme, _, rest = url.partition("://")
    short = f"{scheme}://{rest.split('/', 1)[0]}/…/{name}"
    return short if len(short) <= 40 else f"…/{name}"


def error_summary(paths: Sequence[str], limit: int = 4) -> str:
    """``a, b.c, d and 2 more`` for the notification."""
    shown = [one_line(path, 80) for path in paths[:limit]]
    rest = len(paths) - len(shown)
    text = ", ".join(shown)
    if rest > 0:
        text += f" and {rest} more"
    return text


def describe_errors(count: int) -> str:
    """``1 field needs`` / ``3 fields need``."""
    return f"{count} field needs" if count == 1 else f"{count} fields need"


def short_id(job_id: str) -> str:
    """The first characters of a job id, enough to recognise it."""
    return one_line(job_id[:8])
