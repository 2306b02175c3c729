"""What the results pane lists: one ``ResultItem`` per file, text and timed transcript of a job.

A ×N batch lists the items of each of its finished jobs in turn; every item knows its job, so
a key acts on the job the item came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from faltui.core.job import Job, JobState
from faltui.core.outputs import (
    Saveable,
    TextOutput,
    file_name_for,
    find_outputs,
    find_text_outputs,
    human_size,
    safe_name,
)
from faltui.core.outputs.transcript import Segment, find_segments, short_clock, to_srt
from faltui.tui.format import one_line


@dataclass
class ResultItem:
    """One entry of the outputs: a file (``url``), a text (``text``) or a timed transcript
    (``segments``; its ``text`` is the SRT)."""

    kind: str
    title: str
    output: Saveable
    url: str | None = None
    text: str | None = None
    content_type: str = ""
    size: int | None = None
    width: int | None = None
    height: int | None = None
    segments: list[Segment] = field(default_factory=list)
    job: Job | None = None
    #: ``#2`` for the second job of a ×N batch ("" for a single job).
    tag: str = ""


def items_for(
    result: dict[str, Any] | None, prefix: str = "", job: Job | None = None, tag: str = ""
) -> list[ResultItem]:
    """The files, texts and timed transcript of a result, in the order the result lists them.

    ``prefix`` (the request id) starts the file names texts are saved under.
    """
    if not isinstance(result, dict):
        return []
    items: list[ResultItem] = []
    for output in find_outputs(result):
        items.append(
            ResultItem(
                kind=str(output.kind or "file"),
                title=one_line(file_name_for(output)),
                output=output,
                url=output.url,
                content_type=one_line(output.content_type or ""),
                size=output.file_size,
                width=output.width,
                height=output.height,
                job=job,
                tag=tag,
            )
        )
    for text in find_text_outputs(result, prefix):
        items.append(
            ResultItem(
                kind="text",
                title=one_line(text.label),
                output=text,
                text=text.text,
                job=job,
                tag=tag,
            )
        )
    segments = find_segments(result)
    if segments:
        head = safe_name(prefix[:16]) if prefix else "job"
        srt = to_srt(segments)
        items.append(
            ResultItem(
                kind="timed",
                title="chunks",
                output=TextOutput("chunks", srt, f"{head}-chunks.srt"),
                text=srt,
                segments=segments,
                job=job,
                tag=tag,
            )
        )
    return items


def batch_items(jobs: Sequence[Job]) -> list[ResultItem]:
    """The items of every finished job of a ×N batch, each tagged ``#i`` by its place."""
    items: list[ResultItem] = []
    for number, job in enumerate(jobs, 1):
        if job.state is JobState.done:
            tag = f"#{number}" if len(jobs) > 1 else ""
            items.extend(items_for(job.result, job.request_id or job.id, job, tag))
    return items


def item_prompt(item: ResultItem) -> Text:
    """One line of the outputs list: kind, name, type, size, dimensions."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"{item.kind:<6} ", style="bold")
    if item.tag:
        line.append(f"{item.tag} ", style="dim")
    line.append(item.title)
    details: list[str] = []
    if item.segments:
        end = item.segments[-1].end or item.segments[-1].start
        details.append(f"{len(item.segments)} segments · to {short_clock(end)}")
    elif item.text is not None:
        details.append(f"{len(item.text)} chars")
    if item.content_type:
        details.append(item.content_type)
    if item.size is not None:
        details.append(human_size(item.size))
    if item.width and item.height:
        details.append(f"{item.width}×{item.height}")
    if details:
        line.append("  " + " · ".join(details), style="dim")
    return line


__all__ = ["ResultItem", "batch_items", "item_prompt", "items_for"]
