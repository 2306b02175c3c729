"""Display text of the parameter form: labels, help lines, placeholders, error summaries.

Display only: every rule about what a field accepts lives in ``faltui.core.schema.input``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from faltui.core.outputs import url_file_name
from faltui.core.schema import Field, value_text
from faltui.core.seeds import RANDOM, is_seed_field


def label_of(field: Field) -> str:
    """The name a user sees: the field name (titles are often vague, names are what the API
    takes and what error messages use)."""
    return field.name or field.title or "?"


def help_of(field: Field) -> str:
    """The description, dedented, with runs of blank space collapsed (shown literally)."""
    text = textwrap.dedent(str(field.description or "")).strip()
    return re.sub(r"\s+", " ", text)


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
        if len(example) > 60:
            example = example[:59] + "…"
        return f"e.g. {example}"
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
    shown = list(paths[:limit])
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
    return job_id[:8]
