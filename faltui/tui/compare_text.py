"""What each cell of the compare screen says, as literal ``rich.text.Text`` (never markup).

The values come from ``faltui.core.compare`` (one rendering of every input value); here they
are only cut to fit and styled.
"""

from __future__ import annotations

from rich.text import Text

from faltui.core.compare import FieldDiff, JobColumn, JobTimings
from faltui.core.job import Job, JobState
from faltui.core.outputs import file_name_for
from faltui.tui.format import format_duration, literal_block, one_line, short_model, state_label

#: Lines of a text output shown in its column (the rest is counted).
TEXT_LINES = 12
#: Lines of one input value shown in a cell (a long prompt is cut, and says so).
VALUE_LINES = 6
#: What a column shows for a time that is not known.
UNKNOWN = "—"


def head_text(column: JobColumn, number: int, *, selected: bool, models_differ: bool) -> Text:
    """The top of a column: its number, model, state and request id."""
    job = column.job
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append("▶ " if selected else "  ", style="bold")
    text.append(f"#{number} ", style="bold")
    text.append(short_model(job.endpoint_id), style="bold underline" if models_differ else "bold")
    text.append("\n")
    text.append(state_label(job), style=_state_style(job))
    if job.request_id:
        text.append(f"  {one_line(job.request_id)}", style="dim")
    return text


def _state_style(job: Job) -> str:
    if job.state is JobState.done:
        return "green"
    if job.state in (JobState.failed, JobState.lost, JobState.unknown):
        return "red"
    return ""


def outputs_text(column: JobColumn) -> Text:
    """Below a column's preview: what the result holds, its files, its first text."""
    job = column.job
    text = Text(end="")
    if job.state is not JobState.done:
        text.append(state_label(job) + "\n", style=_state_style(job))
        if job.error:
            text.append(literal_block(job.error).split("\n", 1)[0] + "\n", style="red")
        text.rstrip()
        return text
    summary = column.outputs
    text.append(summary.text() + "\n", style="bold")
    for output in summary.files[:4]:
        text.append(f"{output.kind} ", style="dim")
        text.append(one_line(file_name_for(output)) + "\n")
    if len(summary.files) > 4:
        text.append(f"… {len(summary.files) - 4} more files\n", style="dim")
    if summary.texts:
        first = summary.texts[0]
        lines = literal_block(first.text).split("\n")
        text.append(f"{one_line(first.label)}:\n", style="dim")
        text.append("\n".join(lines[:TEXT_LINES]) + "\n")
        if len(lines) > TEXT_LINES:
            text.append(f"… {len(lines) - TEXT_LINES} more lines\n", style="dim")
    text.rstrip()
    return text


def duration_text(seconds: float | None) -> Text:
    """A time of the timings rows (``—`` when not known)."""
    return Text(format_duration(seconds) if seconds is not None else UNKNOWN, end="")


def run_text(timings: JobTimings) -> Text:
    """The run time measured here, and fal's own ``inference_time`` beside it when known."""
    text = duration_text(timings.run)
    if timings.inference is not None:
        text.append(f" · fal {format_duration(timings.inference)}", style="dim")
    return text


def value_cell(value: str, *, differs: bool, present: bool) -> Text:
    """One job's value of an input field, cut to ``VALUE_LINES`` lines."""
    lines = literal_block(value).split("\n") or [""]
    shown = "\n".join(lines[:VALUE_LINES])
    style = "dim italic" if not present else ("bold" if differs else "")
    text = Text(shown, style=style, end="")
    if len(lines) > VALUE_LINES:
        text.append(f"\n… {len(lines) - VALUE_LINES} more lines", style="dim")
    return text


def field_label(field: FieldDiff) -> Text:
    """The gutter of an input row: ``≠ seed`` for a differing field, ``= prompt`` for an equal
    one."""
    mark = "≠ " if field.differs else "= "
    return Text(mark + one_line(field.name), no_wrap=True, overflow="ellipsis", end="")


def fold_text(count: int, shown: bool, key: str) -> Text:
    """The line standing for the equal fields: folded, or unfolded below it."""
    if count == 0:
        return Text("No equal fields: every input field differs.", end="")
    noun = "equal field" if count == 1 else "equal fields"
    if shown:
        return Text(f"{count} {noun} (same in every job; press {key} to fold)", end="")
    return Text(f"{count} {noun} folded (press {key} to show)", end="")


__all__ = [
    "TEXT_LINES",
    "UNKNOWN",
    "VALUE_LINES",
    "duration_text",
    "field_label",
    "fold_text",
    "head_text",
    "outputs_text",
    "run_text",
    "value_cell",
]
