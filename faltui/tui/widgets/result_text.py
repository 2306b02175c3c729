"""What the results pane writes below the outputs: file details, media facts, transcripts as a
timed table, token usage, a job's status — all literal (``rich.text.Text``, no markup)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from faltui.core.job import Job, JobState
from faltui.core.outputs import human_size
from faltui.core.outputs.failures import GONE_NOTE
from faltui.core.outputs.transcript import short_clock
from faltui.tui.format import display_url, literal_block, one_line, state_label
from faltui.tui.widgets.result_items import ResultItem

if TYPE_CHECKING:  # the media readers (Pillow) load when a file's facts are first read
    from faltui.core.outputs.facts import MediaFacts
    from faltui.core.outputs.mesh import MeshStats
    from faltui.core.outputs.usage import TokenUsage
    from faltui.core.outputs.video import VideoFacts

#: Log lines shown for a job that is not done.
LOG_TAIL = 30
#: Rows of a transcript shown in the pane (all of them are saved and copied).
TRANSCRIPT_ROWS = 500


def seconds_text(seconds: float) -> str:
    """``0.4 s``, ``12.3 s (0:12.3)``, ``3:04.5``-style lengths."""
    if seconds < 10:
        return f"{seconds:.2f} s".replace(".00 s", " s")
    return f"{seconds:.1f} s ({short_clock(seconds)})"


def _row(text: Text, label: str, value: str, style: str = "") -> None:
    text.append(f"{label:>10}  ", style="dim")
    text.append(f"{value}\n", style=style)


def file_text(
    item: ResultItem,
    *,
    saved: Path | None,
    facts: MediaFacts | None,
    loading: bool,
    previews_enabled: bool,
    playable: bool,
    items_count: int,
    problem: str | None = None,
) -> Text:
    """Details of a file output: what it is, where it is saved, what its header says, and
    why it could not be read (``problem``)."""
    text = Text(end="")
    for label, value in (
        ("job", item.tag),
        ("kind", item.kind),
        ("file", item.title),
        ("type", item.content_type),
        ("size", human_size(item.size)),
        ("dimensions", f"{item.width}×{item.height}" if item.width and item.height else ""),
        ("url", display_url(item.url)),
    ):
        if value:
            _row(text, label, value)
    if saved is not None:
        _row(text, "saved", one_line(saved))
    if facts is not None:
        text.append_text(facts_text(facts, saved))
    elif loading:
        _row(text, "", "reading the file's header…", "dim")
    if problem is not None:
        text.append_text(problem_text(problem, saved))
    if item.kind == "image" and not previews_enabled:
        text.append("\n(inline preview off)", style="dim")
    keys = ["c copy URL", "o open", "d download"]
    if playable:
        keys.insert(2, "p play")
    if items_count > 1:
        keys.append(f"D all {items_count}")
    text.append("\n" + " · ".join(keys), style="dim")
    return text


def facts_text(facts: MediaFacts, saved: Path | None) -> Text:
    """Audio length, video length and first frame, mesh statistics, or why they are missing."""
    text = Text(end="")
    if facts.problem:
        text.append_text(problem_text(facts.problem, saved))
    if facts.audio is not None:
        duration = facts.audio.duration
        _row(text, "duration", seconds_text(duration) if duration is not None else "unknown")
        _row(text, "format", one_line(facts.audio.detail))
    if facts.video is not None:
        text.append_text(video_text(facts.video))
    if facts.mesh is not None:
        text.append_text(mesh_text(facts.mesh))
    return text


def problem_text(problem: str, saved: Path | None) -> Text:
    """Why a file could not be read; for a gone file, what that means and what is left."""
    text = Text(end="")
    text.append(f"\n{one_line(problem)}\n", style="yellow")
    if GONE_NOTE in problem:
        if saved is not None:
            text.append(f"The copy saved earlier is used instead: {one_line(saved)}\n", style="dim")
        else:
            text.append(
                "No copy was saved here, so it cannot be previewed, opened or downloaded any "
                "more. Run the job again (r in the jobs pane) to get new files.\n",
                style="dim",
            )
    return text


def video_text(video: VideoFacts) -> Text:
    """Length, frames, size of a video, and what read them."""
    text = Text(end="")
    if video.duration is not None:
        _row(text, "duration", seconds_text(video.duration))
    parts = []
    if video.frames:
        parts.append(f"{video.frames} frames")
    if video.width and video.height:
        parts.append(f"{video.width}×{video.height}")
    if video.how:
        parts.append(f"read as {video.how}")
    if parts:
        _row(text, "video", " · ".join(parts))
    if video.note:
        _row(text, "note", one_line(video.note), "yellow")
    return text


def _axis(low: float, high: float) -> str:
    return f"{low:.4g} … {high:.4g}"


def mesh_text(stats: MeshStats) -> Text:
    """Vertex and triangle counts, bounds and parts of a GLB."""
    text = Text(end="")
    _row(text, "vertices", f"{stats.vertices:,}")
    _row(text, "triangles", f"{stats.triangles:,}")
    plural = "" if stats.primitives == 1 else "s"
    _row(text, "meshes", f"{stats.meshes} ({stats.primitives} primitive{plural})")
    if stats.bounds is not None and stats.size is not None:
        low, high = stats.bounds
        axes = " · ".join(
            f"{name} {_axis(a, b)}" for name, a, b in zip("xyz", low, high, strict=True)
        )
        _row(text, "bounds", axes)
        _row(text, "size", " × ".join(f"{v:.4g}" for v in stats.size))
    _row(text, "materials", f"{stats.materials} · textures {stats.textures}")
    if stats.compressed:
        _row(text, "compressed", ", ".join(one_line(c) for c in stats.compressed))
    if stats.generator:
        _row(text, "made by", one_line(stats.generator))
    return text


def usage_text(usage: TokenUsage) -> Text:
    """The token usage line shown under an LLM's text."""
    text = Text(end="")
    text.append("tokens  ", style="dim")
    text.append(usage.describe())
    return text


def text_body(item: ResultItem, usage: TokenUsage | None) -> Text:
    """A text output in full, with the result's token usage under it."""
    text = Text(literal_block(item.text or ""), end="")
    if usage is not None:
        text.append("\n\n")
        text.append_text(usage_text(usage))
    return text


def transcript_body(item: ResultItem, width: int) -> RenderableType:
    """A timed transcript as a table (start, end, speaker when known, text)."""
    segments = item.segments
    speakers = any(s.speaker for s in segments)
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=False, width=width or None)
    table.add_column(Text("start"), justify="right", style="dim", no_wrap=True)
    table.add_column(Text("end"), justify="right", style="dim", no_wrap=True)
    if speakers:
        table.add_column(Text("speaker"), no_wrap=True)
    table.add_column(Text("text"), ratio=1)
    for segment in segments[:TRANSCRIPT_ROWS]:
        row = [Text(short_clock(segment.start)), Text(short_clock(segment.end))]
        if speakers:
            row.append(Text(one_line(segment.speaker or "")))
        row.append(Text(one_line(segment.text)))
        table.add_row(*row)
    more = len(segments) - TRANSCRIPT_ROWS
    head = Text(f"{len(segments)} timed segments", style="bold")
    foot = Text(end="")
    if more > 0:
        foot.append(f"… and {more} more (s saves them all)\n", style="dim")
    foot.append("s save as SRT + VTT · c copy SRT · d save SRT", style="dim")
    return Group(head, table, foot)


def status_text(job: Job, fill: int = 0, *, reconciling: bool = False) -> Text:
    """A not-done job: state, queue position, error and field errors, latest logs
    (``reconciling``: fal's request history is being searched for it now).

    A live job's status is padded with empty lines to ``fill`` lines (the height of the area
    showing it): moving between live jobs then keeps the body's height, and a change of height
    costs a layout pass of the whole screen.
    """
    text = Text(end="")
    text.append("State: ", style="dim")
    text.append(state_label(job, reconciling=reconciling) + "\n")
    if job.queue_position is not None and job.state is JobState.queued:
        text.append("Requests ahead in fal's queue: ", style="dim")
        text.append(f"{job.queue_position}\n")
    if job.error:
        kind = f" ({one_line(job.error_type)})" if job.error_type else ""
        text.append(f"Error{kind}:\n", style="bold")
        text.append(literal_block(job.error) + "\n", style="red")
    for error in job.field_errors:
        text.append(f"  {one_line(error.dotted)}: ", style="bold")
        text.append(one_line(error.message) + "\n")
    logs = list(job.logs)[-LOG_TAIL:]
    if logs:
        text.append(f"\nLogs (last {len(logs)} of {len(job.logs)}):\n", style="dim")
        for line in logs:
            text.append(one_line(line.message) + "\n")
    elif not job.final:
        text.append("\nNo logs yet.", style="dim")
    if not job.final:
        _pad_lines(text, fill)
    return text


def _pad_lines(text: Text, lines: int) -> None:
    """Pad ``text`` with empty lines up to ``lines`` lines."""
    missing = lines - len(text.plain.split("\n"))
    if missing > 0:
        text.append("\n" * missing)


__all__ = [
    "facts_text",
    "file_text",
    "mesh_text",
    "problem_text",
    "seconds_text",
    "status_text",
    "text_body",
    "transcript_body",
    "usage_text",
    "video_text",
]
