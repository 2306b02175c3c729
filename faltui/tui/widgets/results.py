"""The results pane: the outputs of the selected job, and what to do with them.

Every file of the result (images, video, audio, meshes, other files) and every text output
(transcriptions, LLM answers) is listed; the highlighted one is shown below the list — an image
inline (textual-image; half-cell blocks where the terminal has no graphics), a text in full, a
file's details otherwise. ``c``/``y`` copy (a URL, or a text itself), ``o`` opens (over SSH it
copies instead), ``d``/``D`` download one / all with progress, ``v`` shows the raw result JSON.

Everything from the server is shown literally (``rich.text.Text``, control characters removed).
Fetching, decoding and saving belong to the core ``Outputs`` service (keyless, ``O_EXCL``
saves, exact ``data:`` decoding); this pane only shows what it does. Previews are fetched in a
worker and decoded in a thread, and kept in a small per-URL cache.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.visual import visualize
from textual.widget import Widget
from textual.widgets import OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from faltui.core.job import Job, JobState
from faltui.core.outputs import (
    DataUrlError,
    DownloadError,
    DownloadProgress,
    DownloadReport,
    Outputs,
    Saveable,
    data_url_type,
    decode_data_url,
    file_name_for,
    find_outputs,
    find_text_outputs,
    human_size,
    is_data_url,
)
from faltui.tui.clipboard import copy_text, describe, is_ssh
from faltui.tui.format import (
    display_url,
    format_duration,
    literal,
    literal_block,
    one_line,
    pretty_json,
    state_label,
)
from faltui.tui.opener import open_target

try:  # imported early on purpose: textual-image asks the terminal about itself at import time
    from textual_image.widget import Image as PreviewImage
except Exception:  # pragma: no cover - missing or unusable textual-image: no inline previews
    PreviewImage = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Previews are scaled down to at most this many pixels per side before display.
PREVIEW_MAX_SIDE = 1024
#: Previews kept in memory (by URL).
PREVIEW_CACHE = 8
#: Log lines shown for a job that is not done.
LOG_TAIL = 30
#: Environment variable that turns inline image previews off.
NO_PREVIEW_ENV = "FALTUI_NO_PREVIEW"


@dataclass
class ResultItem:
    """One entry of the outputs list: a file (``url``) or a text output (``text``)."""

    kind: str
    title: str
    output: Saveable
    url: str | None = None
    text: str | None = None
    content_type: str = ""
    size: int | None = None
    width: int | None = None
    height: int | None = None


def items_for(result: dict[str, Any] | None, prefix: str = "") -> list[ResultItem]:
    """The files and texts of a result, in the order the result lists them.

    ``prefix`` (the request id) starts the file names texts are saved under.
    """
    if not isinstance(result, dict):
        return []
    items: list[ResultItem] = []
    for output in find_outputs(result):
        items.append(
            ResultItem(
                kind=one_line(output.kind or "file", 20),
                title=one_line(file_name_for(output)),
                output=output,
                url=output.url,
                content_type=one_line(output.content_type or ""),
                size=output.file_size,
                width=output.width,
                height=output.height,
            )
        )
    for text in find_text_outputs(result, prefix):
        items.append(
            ResultItem(kind="text", title=one_line(text.label), output=text, text=text.text)
        )
    return items


def item_prompt(item: ResultItem) -> Text:
    """One line of the outputs list: kind, name, type, size, dimensions."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"{item.kind:<6} ", style="bold")
    line.append(item.title)
    details: list[str] = []
    if item.text is not None:
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


def open_image(data: bytes) -> PILImage:
    """A fully loaded PIL image (first frame of animations), scaled and converted for display.

    CPU-bound: the pane runs it in a thread. Raises ``OSError``/``ValueError`` for bytes that
    are not an image it can show.
    """
    from PIL import Image

    try:
        opened = Image.open(io.BytesIO(data))
        opened.draft("RGB", (PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))  # JPEG: decode at lower scale
        opened.load()
    except Image.DecompressionBombError as exc:
        raise ValueError(str(exc)) from None
    image: PILImage = opened
    if max(image.size) > PREVIEW_MAX_SIDE:  # a terminal shows far fewer pixels than this
        image.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    return image


class OutputList(OptionList):
    """The outputs of the job, with vi-style movement."""

    BINDINGS: ClassVar = [
        Binding("j", "cursor_down", "Down", show=False, id="results.down"),
        Binding("k", "cursor_up", "Up", show=False, id="results.up"),
    ]


class ResultsPane(Widget):
    """Outputs of the selected job: list, preview, copy / open / download / raw JSON."""

    DEFAULT_CSS = """
    ResultsPane { layout: vertical; height: 1fr; }
    ResultsPane #results-head { height: auto; max-height: 3; padding: 0 1; }
    ResultsPane #results-list { height: auto; max-height: 8; border: none;
        text-wrap: nowrap; text-overflow: ellipsis; }
    ResultsPane #results-list.-none { display: none; }
    ResultsPane #results-progress { display: none; height: 1; padding: 0 1; }
    ResultsPane.-downloading #results-progress { display: block; }
    ResultsPane #results-body { height: 1fr; border-top: solid $panel-lighten-2; }
    ResultsPane #results-text { padding: 0 1; height: auto; }
    ResultsPane #results-image { display: none; height: 14; width: auto; margin: 0 1; }
    ResultsPane.-preview #results-image { display: block; }
    """

    BINDINGS: ClassVar = [
        Binding("c,y", "copy", "Copy", id="results.copy"),
        Binding("o", "open", "Open", id="results.open"),
        Binding("d", "download", "Download", id="results.download"),
        Binding("D", "download_all", "Download all", id="results.download_all"),
        Binding("v", "toggle_raw", "Raw JSON", id="results.raw"),
    ]

    #: Show images inline (off with ``FALTUI_NO_PREVIEW`` set, or in tests via the class).
    preview_images: ClassVar[bool] = True
    #: The textual-image widget class (tests pin ``HalfcellImage`` for stable snapshots).
    image_widget: ClassVar[type[Widget] | None] = PreviewImage

    def __init__(
        self,
        outputs: Outputs,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.outputs = outputs
        self.job: Job | None = None
        self.items: list[ResultItem] = []
        self.raw = False
        self._shown_key: tuple[Any, ...] | None = None
        self._item_index: int | None = None
        self._previews: OrderedDict[str, PILImage] = OrderedDict()
        self._rendered: dict[str, tuple[Any, ...]] = {}
        #: Whether fal's request history is being searched for a job (by local id) right now.
        self.is_reconciling: Callable[[str], bool] = lambda _job_id: False

    # -- composition -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("Select a job to see its results.", id="results-head", markup=False)
        yield OutputList(id="results-list", classes="-none")
        yield ProgressBar(id="results-progress", show_eta=False)
        with VerticalScroll(id="results-body"):
            if self.image_widget is not None:
                yield self.image_widget(id="results-image")
            yield Static("", id="results-text", markup=False)

    @property
    def previews_enabled(self) -> bool:
        """Whether images are previewed inline."""
        return (
            self.preview_images
            and self.image_widget is not None
            and not os.environ.get(NO_PREVIEW_ENV)
        )

    @property
    def download_dir(self) -> Path:
        """Where ``d`` and ``D`` save files (the outputs service's download folder)."""
        return self.outputs.download_dir

    @property
    def selected_item(self) -> ResultItem | None:
        """The highlighted output (``None`` when the job has none)."""
        if self._item_index is None or not (0 <= self._item_index < len(self.items)):
            return None
        return self.items[self._item_index]

    # -- showing a job ---------------------------------------------------------------

    def show(self, job: Job | None) -> None:
        """Show a job (``None``: nothing). Cheap when called again for the same job."""
        if job is None:
            self.job = None
            self._shown_key = None
            self._set_items([])
            self._head(Text("Select a job to see its results."))
            self._body(Text(""))
            return
        key = (job.id, job.state, id(job.result))
        same = self.job is not None and key == self._shown_key
        self.job = job
        self._head(self._head_text(job))
        if same:
            if job.state is not JobState.done and not self.raw:
                self._body(self.status_text(job))
            return
        self._shown_key = key
        if job.state is JobState.done:
            self._set_items(items_for(job.result, job.request_id or job.id))
        else:
            self._set_items([])
        self._show_selection()

    def _head_text(self, job: Job) -> Text:
        text = Text(no_wrap=False, end="")
        text.append(one_line(job.endpoint_id), style="bold")
        text.append(f"  {state_label(job, reconciling=self.is_reconciling(job.id))}")
        if job.finished_at or job.state is JobState.running:
            text.append(f"  {format_duration(job.elapsed)}")
        if job.request_id:
            text.append(f"  request {literal(job.request_id)}", style="dim")
        return text

    def _head(self, text: Text) -> None:
        self._update_static("#results-head", text)

    def _body(self, text: Text) -> None:
        self._update_static("#results-text", text)

    def _update_static(self, selector: str, text: Text) -> None:
        """Update a Static only when its content really changes (show() runs at 10 Hz)."""
        widget = self.query_one(selector, Static)
        signature = (text.plain, tuple(text.spans), str(text.style))
        if self._rendered.get(selector) != signature:
            self._rendered[selector] = signature
            widget.update(text, layout=self._height_changes(widget, text))

    @staticmethod
    def _height_changes(widget: Static, text: Text) -> bool:
        """Whether ``text`` needs another height than ``widget`` has now.

        A layout pass re-renders the whole screen; while a job runs its head (elapsed time) and
        status change at 10 Hz without changing height, so those updates are repaints only.
        """
        width = widget.content_size.width
        if not widget.is_mounted or width <= 0:
            return True
        visual = visualize(widget, text, markup=False)
        # Textual passes widget.styles here itself (Widget._get_content_height); the parameter
        # is annotated as the RulesMap TypedDict, which styles objects are not.
        height = visual.get_height(widget.styles, width)  # type: ignore[arg-type]
        return height != widget.content_size.height

    def _set_items(self, items: list[ResultItem]) -> None:
        self.items = items
        listing = self.query_one(OutputList)
        listing.clear_options()
        listing.add_options([Option(item_prompt(item)) for item in items])
        listing.set_class(not items, "-none")
        if not items and listing.has_focus:
            self.query_one("#results-body").focus()
        listing.can_focus = bool(items)  # a hidden list must not hold the focus
        if items and self.has_focus_within and not listing.has_focus:
            listing.focus()
        self._item_index = 0 if items else None
        if items:
            listing.highlighted = 0

    def on_mount(self) -> None:
        self.query_one(OutputList).can_focus = False  # until a job with outputs is shown

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index != self._item_index:
            self._item_index = event.option_index
            self._show_selection()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    def _show_selection(self) -> None:
        """Fill the body: raw JSON, the selected output, or the job's status."""
        job = self.job
        self._set_preview(None)
        if job is None:
            return
        if self.raw:
            self._body(Text(pretty_json(job.result) if job.result is not None else "No result."))
            return
        if job.state is not JobState.done:
            self._body(self.status_text(job))
            return
        item = self.selected_item
        if item is None and job.result is None:
            self._body(Text("The job is done but its result has not been fetched (yet)."))
            return
        if item is None:
            note = Text("The result has no files or texts. Press v for the raw JSON.\n\n")
            note.append(pretty_json(job.result))
            self._body(note)
            return
        if item.text is not None:
            self._body(Text(literal_block(item.text)))
            return
        self._body(self.file_text(item))
        if item.kind == "image" and item.url and self.previews_enabled:
            self._load_preview(item.url)

    def file_text(self, item: ResultItem) -> Text:
        """Details of a file output (literal)."""
        text = Text(end="")
        rows = [
            ("kind", item.kind),
            ("file", item.title),
            ("type", item.content_type),
            ("size", human_size(item.size)),
            ("dimensions", f"{item.width}×{item.height}" if item.width and item.height else ""),
            ("url", display_url(item.url)),
        ]
        saved = self.outputs.local_copy(item.output)
        if saved is not None:
            rows.append(("saved", one_line(saved)))
        for label, value in rows:
            if value:
                text.append(f"{label:>10}  ", style="dim")
                text.append(f"{value}\n")
        if item.kind == "image" and not self.previews_enabled:
            text.append("\n(inline preview off)", style="dim")
        else:
            more = f" · D all {len(self.items)}" if len(self.items) > 1 else ""
            text.append(f"\nc copy URL · o open · d download{more}", style="dim")
        return text

    def status_text(self, job: Job) -> Text:
        """A not-done job: state, queue position, error and field errors, latest logs."""
        text = Text(end="")
        text.append("State: ", style="dim")
        text.append(state_label(job, reconciling=self.is_reconciling(job.id)) + "\n")
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
        return text

    # -- preview ---------------------------------------------------------------------

    def _set_preview(self, image: PILImage | None) -> None:
        if self.image_widget is None:
            return
        widget = self.query_one("#results-image")
        widget.image = image  # type: ignore[attr-defined]
        self.set_class(image is not None, "-preview")

    @work(group="results-preview", exclusive=True, exit_on_error=False)
    async def _load_preview(self, url: str) -> None:
        """Fetch (keyless, capped) and decode a preview off the UI thread; cache it by URL."""
        image = self._previews.get(url)
        if image is None:
            try:
                data = await self.outputs.preview_bytes(url)
                image = await asyncio.to_thread(open_image, data)
            except (DownloadError, OSError, ValueError) as exc:  # incl. what PIL cannot read
                if self._current_url() == url and self.selected_item is not None:
                    note = Text(f"\n\nno preview: {one_line(str(exc))}", style="dim")
                    self._body(self.file_text(self.selected_item) + note)
                return
            self._previews[url] = image
            while len(self._previews) > PREVIEW_CACHE:
                self._previews.popitem(last=False)
        else:
            self._previews.move_to_end(url)
        if self._current_url() == url and not self.raw:
            self._set_preview(image)

    def _current_url(self) -> str | None:
        item = self.selected_item
        return item.url if item is not None else None

    # -- actions ---------------------------------------------------------------------

    def _copy(self, text: str, what: str) -> str:
        how = copy_text(self.app, text)
        self.notify(f"Copied {what} {describe(how)}.", title="Copied", markup=False)
        return how

    def run_output_action(self, action: str) -> None:
        """``copy``, ``open``, ``download`` or ``download_all``: what the jobs pane asks for."""
        handlers = {
            "copy": self.action_copy,
            "open": self.action_open,
            "download": self.action_download,
            "download_all": self.action_download_all,
        }
        handlers[action]()

    def action_copy(self) -> None:
        """Copy the URL of the selected file, the selected text, or (raw view) the JSON."""
        job = self.job
        if job is None:
            self.notify("No job selected.", markup=False)
            return
        if self.raw and job.result is not None:
            self._copy(pretty_json(job.result), "the result JSON")
            return
        item = self.selected_item
        if item is not None and item.text is not None:
            self._copy(item.text, f"the text {item.title!r} ({len(item.text)} chars)")
        elif item is not None and item.url and is_data_url(item.url):
            self._copy_data_url(item)
        elif item is not None and item.url:
            self._copy(item.url, f"the URL of {item.title}")
        elif job.error:
            self._copy(job.error, "the error message")
        else:
            self.notify("Nothing to copy yet: the job has no outputs.", markup=False)

    def _copy_data_url(self, item: ResultItem) -> None:
        """An inline text file is copied as its text; other inline files as their data: URL
        (a clipboard holds text, and the URL is what fal takes as an input)."""
        url = item.url or ""
        kind = (data_url_type(url) or "").lower()
        if kind.startswith("text/") or kind in ("application/json", "application/x-subrip"):
            try:
                text = decode_data_url(url).decode("utf-8", "replace")
            except DataUrlError as exc:
                self.notify(f"Cannot copy {item.title}: {exc}", severity="error", markup=False)
                return
            self._copy(text, f"the text of {item.title} ({len(text)} chars)")
            return
        self._copy(url, f"the inline data: URL of {item.title} ({human_size(len(url))})")

    def action_open(self) -> None:
        """Open the selected file (its download if saved); over SSH copy the URL instead."""
        item = self.selected_item
        if item is None or not item.url:
            hint = "text outputs have no URL; c copies the text" if item else "no output selected"
            self.notify(f"Nothing to open: {hint}.", markup=False)
            return
        if is_ssh():
            how = copy_text(self.app, item.url)
            self.notify(
                f"Over SSH nothing opens on your machine; copied the URL {describe(how)} instead.",
                title="Copied",
                markup=False,
            )
            return
        saved = self.outputs.local_copy(item.output)
        target: str | Path = saved if saved is not None else item.url
        if open_target(target):
            self.notify(f"Opening {item.title}…", markup=False)
            return
        how = copy_text(self.app, item.url)
        self.notify(
            f"No browser could be started here; copied the URL {describe(how)} instead.",
            title="Copied",
            markup=False,
        )

    def action_download(self) -> None:
        """Save the selected output to the download folder (in the background)."""
        item = self.selected_item
        if item is None:
            self.notify("No output to download.", markup=False)
            return
        self._download(item)

    def action_download_all(self) -> None:
        """Save every output of the job (files and texts) to the download folder."""
        if not self.items:
            self.notify("No outputs to download.", markup=False)
            return
        self._download(*self.items)

    @work(group="results-download", exit_on_error=False)
    async def _download(self, *items: ResultItem) -> None:
        """Save outputs through the core service; one notice for the whole run."""
        bar = self.query_one("#results-progress", ProgressBar)
        bar.update(total=None, progress=0)
        self.add_class("-downloading")
        try:
            report = await self.outputs.download_all(
                [item.output for item in items], on_progress=progress_to(bar)
            )
        finally:
            self.remove_class("-downloading")
        notify_report(self, report)
        item = self.selected_item
        if item is not None and item in items and item.text is None and not self.raw:
            self._body(self.file_text(item))

    def action_toggle_raw(self) -> None:
        """Switch between the outputs view and the raw result JSON."""
        self.raw = not self.raw
        self._show_selection()


def progress_to(bar: ProgressBar) -> Any:
    """A progress callback that moves ``bar``: by bytes once every size is known, else by
    files."""

    def show(progress: DownloadProgress) -> None:
        if progress.bytes_total:
            bar.update(total=progress.bytes_total, progress=progress.bytes_done)
        else:
            bar.update(total=progress.files_total, progress=progress.files_done)

    return show


def progress_line(progress: DownloadProgress) -> str:
    """``downloading 3/8 · 2.1 MiB of 5.0 MiB`` for a status line."""
    line = f"downloading {progress.files_done}/{progress.files_total}"
    if progress.bytes_done:
        line += f" · {human_size(progress.bytes_done)}"
        if progress.bytes_total:
            line += f" of {human_size(progress.bytes_total)}"
    return line


#: Failures listed in a download notice (the rest are counted).
NOTICE_FAILURES = 3


def notify_report(widget: Widget | App[Any], report: DownloadReport) -> None:
    """One notification for a download run: what was saved, and each failure with its reason."""
    if report.total == 0:
        widget.notify("Nothing to download.", markup=False)
        return
    headline = report.headline()
    if report.complete:
        widget.notify(headline, title="Downloaded", markup=False)
        return
    if report.total == 1:
        widget.notify(headline, title="Download failed", severity="error", markup=False)
        return
    lines = "\n".join(one_line(line) for line in report.failure_lines(NOTICE_FAILURES))
    widget.notify(
        f"{headline}:\n{lines}",
        title="Download incomplete" if report.saved else "Download failed",
        severity="warning" if report.saved else "error",
        timeout=12,
        markup=False,
    )


__all__ = [
    "NO_PREVIEW_ENV",
    "OutputList",
    "ResultItem",
    "ResultsPane",
    "item_prompt",
    "items_for",
    "notify_report",
    "open_image",
    "progress_line",
    "progress_to",
]
