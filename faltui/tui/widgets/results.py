"""The results pane: the outputs of the highlighted job, and what to do with them.

Every file of the result (images, video, audio, meshes, other files), every text output
(transcriptions, LLM answers) and a timed transcript (whisper ``chunks``) is listed; the
highlighted one is shown below the list:

- an image inline (textual-image; half-cell blocks where the terminal has no graphics);
- several images (``num_images`` 4, a ×N batch) as a contact sheet of thumbnails, the
  highlighted one shown larger below it;
- audio with its length (WAV/MP3 header) and ``p`` to play it; video with its length and
  first frame (Pillow for animated images, ffprobe/ffmpeg where installed); a GLB with its
  mesh statistics;
- a text in full with the result's token usage; a transcript as a timed table (``s`` saves
  it as SRT and WebVTT).

``c``/``y`` copy (a URL, or a text itself), ``o`` opens (over SSH it copies instead), ``d``/``D``
download one / all with progress, ``v`` shows the raw result JSON, ``m`` maximizes the pane.

Everything from the server is shown literally (``rich.text.Text``, control characters removed).
Fetching, decoding and saving belong to the core ``Outputs`` service (keyless, ``O_EXCL``
saves, exact ``data:`` decoding); this pane only shows what it does. Images are fetched in
workers and decoded in threads, kept in small per-URL caches (``ImageLoader``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.visual import visualize
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from faltui.core.job import Job, JobState
from faltui.core.outputs import (
    DataUrlError,
    DownloadError,
    DownloadProgress,
    DownloadReport,
    OutputFile,
    SaveError,
    TextOutput,
    data_url_type,
    decode_data_url,
    human_size,
    is_data_url,
)
from faltui.core.outputs.player import choose_player, start_player, why_no_player
from faltui.core.outputs.transcript import to_vtt
from faltui.core.outputs.usage import find_usage
from faltui.tui.clipboard import copy_text, describe, is_ssh
from faltui.tui.format import format_duration, literal, one_line, pretty_json, state_label
from faltui.tui.image_probe import image_class
from faltui.tui.opener import open_target
from faltui.tui.widgets.cell_image import CellImage
from faltui.tui.widgets.contact_sheet import CELL, CELL_MAXIMIZED, ContactSheet
from faltui.tui.widgets.result_images import ImageLoader, draws_with_cells, open_image
from faltui.tui.widgets.result_items import ResultItem, batch_items, item_prompt, items_for
from faltui.tui.widgets.result_text import (
    file_text,
    status_text,
    text_body,
    transcript_body,
)

if TYPE_CHECKING:  # file facts, video tools and the HTTP service load on first use
    from PIL.Image import Image as PILImage
    from textual.widgets import ProgressBar

    from faltui.core.outputs import Outputs
    from faltui.core.outputs.facts import MediaFacts
    from faltui.core.outputs.video import VideoTools

#: Environment variable that turns inline image previews off.
NO_PREVIEW_ENV = "FALTUI_NO_PREVIEW"
#: Kinds whose facts are read from the file (length, first frame, mesh statistics).
FACT_KINDS = frozenset({"audio", "video", "mesh"})
#: Kinds ``p`` plays.
PLAYABLE = frozenset({"audio", "video"})
#: Thumbnails fetched at once for a contact sheet.
THUMB_CONCURRENCY = 3
#: Contact sheets from this many images up.
SHEET_FROM = 2


def item_key(item: ResultItem) -> tuple[str, str, str]:
    """What identifies an item across re-renders: its job, kind and URL (or title)."""
    return (item.job.id if item.job else "", item.kind, item.url or item.title)


class OutputList(OptionList):
    """The outputs of the job, with vi-style movement."""

    BINDINGS: ClassVar = [
        Binding("j", "cursor_down", "Down", show=False, id="results.down"),
        Binding("k", "cursor_up", "Up", show=False, id="results.up"),
    ]


class ResultsPane(Widget):
    """Outputs of the highlighted job (or its ×N batch): list or contact sheet, preview and
    facts, copy / open / play / download / subtitles / raw JSON."""

    #: Textual's maximize (palette "Maximize", ``m``) takes the whole pane, not the focused list.
    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    ResultsPane { layout: vertical; height: 1fr; }
    ResultsPane #results-head { height: auto; max-height: 3; padding: 0 1; }
    ResultsPane #results-list { height: auto; max-height: 8; border: none;
        text-wrap: nowrap; text-overflow: ellipsis; }
    ResultsPane #results-list.-none { display: none; }
    ResultsPane #results-sheet.-none { display: none; }
    ResultsPane #results-progress { display: none; height: 1; padding: 0 1; }
    ResultsPane.-downloading #results-progress { display: block; }
    ResultsPane #results-body { height: 1fr; border-top: solid $panel-lighten-2; }
    ResultsPane #results-text { padding: 0 1; height: auto; }
    ResultsPane #results-image { display: none; height: 14; width: auto; margin: 0 1; }
    ResultsPane.-preview #results-image { display: block; }
    ResultsPane.-maximized #results-list { max-height: 40%; }
    ResultsPane.-maximized #results-sheet { max-height: 50%; }
    ResultsPane.-maximized #results-body { layout: horizontal; }
    ResultsPane.-maximized #results-image { height: 1fr; max-width: 75%; }
    ResultsPane.-maximized #results-text { width: 1fr; }
    """

    BINDINGS: ClassVar = [
        Binding("c,y", "copy", "Copy", id="results.copy"),
        Binding("o", "open", "Open", id="results.open"),
        # p and s show in the body's key hints where they apply (audio/video, a transcript).
        Binding("p", "play", "Play", show=False, id="results.play"),
        Binding("d", "download", "Download", id="results.download"),
        Binding("D", "download_all", "Download all", id="results.download_all"),
        Binding("s", "save_subtitles", "Save SRT+VTT", show=False, id="results.subtitles"),
        Binding("v", "toggle_raw", "Raw JSON", id="results.raw"),
        Binding("m", "toggle_maximize", "Maximize", id="results.maximize"),
        Binding("t", "send_to", "Send to model", id="results.send"),
    ]

    #: Show images inline (off with ``FALTUI_NO_PREVIEW`` set, or in tests via the class).
    preview_images: ClassVar[bool] = True
    #: The image widget class; ``None``: chosen for this terminal (see ``preview_class``).
    #: Tests pin ``HalfcellImage`` for stable snapshots.
    image_widget: ClassVar[type[Widget] | None] = None

    class JobPicked(Message):
        """The highlight moved to an output of another job of the batch (the job list follows
        it, so what is highlighted there stays what the keys here act on)."""

        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    class ResultWanted(Message):
        """A finished job's result is not known here (fetch it from fal, once)."""

        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    class SendRequested(Message):
        """Send the job's outputs to another model (``first``: the selected output's URL)."""

        def __init__(self, job_id: str, first: str | None) -> None:
            super().__init__()
            self.job_id = job_id
            self.first = first

    def __init__(
        self,
        outputs: Outputs | Callable[[], Outputs],
        *,
        video_tools: VideoTools | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``outputs``: the session's outputs service, or a function giving it when first
        needed (the app opens its services after the first frame)."""
        super().__init__(name=name, id=id, classes=classes)
        self._outputs_of: Callable[[], Outputs] = outputs if callable(outputs) else lambda: outputs
        self.video_tools = video_tools
        self.job: Job | None = None
        self.items: list[ResultItem] = []
        self.raw = False
        self._shown_key: tuple[Any, ...] | None = None
        #: The ×N batch whose items are listed (moving between its jobs keeps them).
        self._batch_key: tuple[Any, ...] | None = None
        self._item_index: int | None = None
        self._rendered: dict[str, tuple[Any, ...] | None] = {}
        self._facts: dict[str, MediaFacts] = {}
        self._problems: dict[str, str] = {}
        self._player: subprocess.Popen[bytes] | None = None
        self._generation = 0
        #: Jobs whose missing result was asked for (once each).
        self._result_asked: set[str] = set()
        #: Whether fal's request history is being searched for a job (by local id) right now.
        self.is_reconciling: Callable[[str], bool] = lambda _job_id: False

    @cached_property
    def outputs(self) -> Outputs:
        """Downloads, saves and previews of result files (the core service)."""
        return self._outputs_of()

    @cached_property
    def images(self) -> ImageLoader:
        """Decoded previews and thumbnails, by URL."""
        return ImageLoader(self.outputs)

    # -- composition -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("Select a job to see its results.", id="results-head", markup=False)
        yield ContactSheet(id="results-sheet", classes="-none")
        yield OutputList(id="results-list", classes="-none")
        # The progress bar is mounted by the first download (see ``_progress_bar``).
        with VerticalScroll(id="results-body"):
            if self.preview_class is not None:
                yield self.preview_class(id="results-image")
            yield Static("", id="results-text", markup=False)

    def on_mount(self) -> None:
        self.query_one(OutputList).can_focus = False  # until a job with outputs is shown
        self.query_one(ContactSheet).can_focus = False

    def on_unmount(self) -> None:
        self._stop_player()

    @property
    def preview_class(self) -> type[Widget] | None:
        """The widget images are shown with (``None``: none can be, textual-image missing):
        textual-image's for terminal graphics (Sixel, Kitty), else ``CellImage``."""
        pinned = type(self).image_widget
        if pinned is not None:
            return pinned
        found = image_class()
        return CellImage if draws_with_cells(found) else found

    @property
    def previews_enabled(self) -> bool:
        """Whether images are previewed inline."""
        return (
            self.preview_images
            and self.preview_class is not None
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

    @property
    def sheet_mode(self) -> bool:
        """Whether the outputs are shown as a contact sheet (several images)."""
        return sum(item.kind == "image" for item in self.items) >= SHEET_FROM

    # -- showing a job ---------------------------------------------------------------

    def show(self, job: Job | None, batch: Sequence[Job] = ()) -> None:
        """Show a job (``None``: nothing), with the other jobs of its ×N batch when given.
        Cheap when called again for the same jobs."""
        if job is None:
            self.job = None
            self._shown_key = self._batch_key = None
            self._set_items([])
            self._head(Text("Select a job to see its results."))
            self._body(Text(""))
            return
        jobs = list(batch) if job in batch and len(batch) > 1 else [job]
        batch_key = tuple((j.id, j.state, id(j.result)) for j in jobs)
        key = (batch_key, job.id)
        same = self.job is not None and key == self._shown_key
        self.job = job
        if same:
            self._head(self._head_text(job, jobs))
            if job.state is not JobState.done and not self.raw:
                self._body(self.status_text(job))
            return
        self._shown_key = key
        if job.state is not JobState.done:
            self._batch_key = None
            self._set_items([])
        elif len(jobs) > 1:
            # Another job of the batch listed already: its items stay (500 jobs' outputs are
            # not walked again on every move).
            same_batch = batch_key == self._batch_key
            self._batch_key = batch_key
            self._set_items(self.items if same_batch else batch_items(jobs), prefer=job)
        else:
            self._batch_key = None
            self._set_items(items_for(job.result, job.request_id or job.id, job), prefer=job)
        self._head(self._head_text(job, jobs))  # after the items: the sheet's page is known
        self._show_selection()

    def _head_text(self, job: Job, jobs: list[Job]) -> Text:
        text = Text(no_wrap=False, end="")
        text.append(one_line(job.endpoint_id), style="bold")
        if len(jobs) > 1:
            text.append(f"  #{jobs.index(job) + 1} of ×{len(jobs)}")
            page = self.query_one(ContactSheet).page_label()
            if page:
                text.append(f"  ({page})", style="dim")
        text.append(f"  {state_label(job, reconciling=self.is_reconciling(job.id))}")
        if job.finished_at or job.state is JobState.running:
            text.append(f"  {format_duration(job.elapsed)}")
        if job.request_id:
            text.append(f"  request {literal(job.request_id)}", style="dim")
        return text

    def _head(self, text: Text) -> None:
        self._update_static("#results-head", text)

    def _body(self, content: RenderableType) -> None:
        self._update_static("#results-text", content)

    def _update_static(self, selector: str, content: RenderableType) -> None:
        """Update a Static only when its content really changes (show() runs at 10 Hz)."""
        widget = self.query_one(selector, Static)
        if not isinstance(content, Text):  # a table: always redrawn (only on a change of item)
            self._rendered[selector] = None
            widget.update(content)
            return
        signature = (content.plain, tuple(content.spans), str(content.style))
        if self._rendered.get(selector) != signature:
            self._rendered[selector] = signature
            widget.update(content, layout=self._height_changes(widget, content))

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

    def _set_items(self, items: list[ResultItem], prefer: Job | None = None) -> None:
        """Replace the outputs; keep the highlighted one when it is still there, else start on
        the first output of ``prefer`` (the highlighted job)."""
        previous = self.selected_item
        keys = [item_key(item) for item in items]
        index: int | None = None
        if previous is not None and item_key(previous) in keys:
            index = keys.index(item_key(previous))
            if prefer is not None and items[index].job is not prefer:
                index = None
        if index is None and items:
            index = next((n for n, item in enumerate(items) if item.job is prefer), 0)
        same_items = keys == [item_key(item) for item in self.items]
        self.items = items
        self._item_index = index
        if same_items and items:
            self._move_nav(index or 0)
            return
        self._generation += 1
        self._fill_nav(items, index or 0)

    def _fill_nav(self, items: list[ResultItem], index: int) -> None:
        """Put the items in the list, or in the contact sheet when there are several images."""
        listing = self.query_one(OutputList)
        sheet = self.query_one(ContactSheet)
        had_focus = self.has_focus_within and not self.query_one("#results-body").has_focus
        sheet_mode = self.sheet_mode
        listing.clear_options()
        if not sheet_mode:
            listing.add_options([Option(item_prompt(item)) for item in items])
        listing.set_class(sheet_mode or not items, "-none")
        sheet.set_class(not sheet_mode, "-none")
        listing.can_focus = bool(items) and not sheet_mode
        sheet.can_focus = sheet_mode
        if sheet_mode:
            widget = self.preview_class if self.previews_enabled else None
            sheet.set_cell_size(CELL_MAXIMIZED if self.is_maximized else CELL)
            sheet.set_items(items, widget, self.images.cached_thumbnail, index)
            if widget is not None:
                self._load_thumbnails(self._generation)
        elif items:
            listing.highlighted = index
        nav: Widget = sheet if sheet_mode else listing
        if not items:
            if had_focus:
                self.query_one("#results-body").focus()
        elif (had_focus or self.has_focus_within) and not nav.has_focus:
            nav.focus()

    def _move_nav(self, index: int) -> None:
        if self.sheet_mode:
            self.query_one(ContactSheet).highlight(index, announce=False)
        else:
            listing = self.query_one(OutputList)
            if listing.highlighted != index:
                listing.highlighted = index

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._select(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    def on_contact_sheet_highlighted(self, event: ContactSheet.Highlighted) -> None:
        event.stop()
        self._select(event.index)

    def on_contact_sheet_page_changed(self, event: ContactSheet.PageChanged) -> None:
        event.stop()
        if self.previews_enabled:
            self._load_thumbnails(self._generation)

    def _select(self, index: int) -> None:
        if index == self._item_index:
            return
        self._item_index = index
        item = self.selected_item
        if item is not None and item.job is not None and item.job is not self.job:
            self.post_message(self.JobPicked(item.job.id))
        self._show_selection()

    # -- the body --------------------------------------------------------------------

    def _show_selection(self) -> None:
        """Fill the body: raw JSON, the selected output, or the job's status; the preview
        goes unless the selection shows one."""
        if not self._fill_body():
            self._set_preview(None)

    def _fill_body(self) -> bool:
        """``_show_selection``'s body; True when the selection shows a preview (or keeps its
        room for one on the way)."""
        job = self.job
        if job is None:
            return False
        if self.raw:
            self._body(Text(pretty_json(job.result) if job.result is not None else "No result."))
            return False
        if job.state is not JobState.done:
            self._body(self.status_text(job))
            return False
        item = self.selected_item
        if item is None and job.result is None:
            self._body(Text("The job is done but its result has not been fetched (yet)."))
            if job.request_id and job.id not in self._result_asked:
                self._result_asked.add(job.id)
                self.post_message(self.ResultWanted(job.id))
            return False
        if item is None:
            note = Text("The result has no files or texts. Press v for the raw JSON.\n\n")
            note.append(pretty_json(job.result))
            self._body(note)
            return False
        if item.segments:
            self._body(transcript_body(item, self.query_one("#results-text").content_size.width))
            return False
        if item.text is not None:
            usage = find_usage(item.job.result if item.job else job.result)
            self._body(text_body(item, usage))
            return False
        self._body(self.file_text(item))
        url = item.url
        if url is None:
            return False
        if item.kind == "image" and self.previews_enabled:
            cached = self.images.cached_preview(url)
            # Another image from one to the next: the preview's room stays (no restyle of
            # the pane), empty until the image is there, so it never shows the wrong one.
            self._set_preview(cached, keep_room=True)
            if cached is None:
                self._load_preview(url)
            return True
        if item.kind in FACT_KINDS:
            facts = self._facts.get(url)
            if facts is None:
                self._load_facts(item)
            elif facts.video is not None and facts.video.first_frame is not None:
                self._show_frame(facts.video.first_frame)
                return self.previews_enabled
        return False

    def file_text(self, item: ResultItem) -> Text:
        """Details of a file output (literal), with its facts or why they are missing."""
        saved = self.outputs.local_copy(item.output)
        url = item.url or ""
        return file_text(
            item,
            saved=saved,
            facts=self._facts.get(url),
            loading=item.kind in FACT_KINDS and url not in self._facts,
            previews_enabled=self.previews_enabled,
            playable=item.kind in PLAYABLE,
            items_count=len(self.items),
            problem=self._problems.get(url),
        )

    def status_text(self, job: Job) -> Text:
        """A not-done job: state, queue position, error and field errors, latest logs; a live
        one fills the visible body (so its height stays put from job to job)."""
        body = self.query_one("#results-body")
        return status_text(
            job,
            fill=body.scrollable_content_region.height,
            reconciling=self.is_reconciling(job.id),
        )

    # -- preview and facts -------------------------------------------------------------

    def _size_images(self) -> None:
        """Before the first image is decoded: decode them for the widget that draws them."""
        if not self._images_sized:
            self._images_sized = True
            self.images.sized_for(self.preview_class)

    _images_sized = False

    def _set_preview(self, image: PILImage | None, *, keep_room: bool = False) -> None:
        """Show ``image`` as the preview (None: none; with ``keep_room`` its room stays)."""
        if self.preview_class is None:
            return
        widget = self.query_one("#results-image")
        # Setting the image always lays the whole screen out again (textual-image), so
        # clearing an empty preview — every move between jobs without one — must not.
        if widget.image is not image:  # type: ignore[attr-defined]
            widget.image = image  # type: ignore[attr-defined]
        self.set_class(image is not None or keep_room, "-preview")

    def _show_frame(self, frame: PILImage) -> None:
        if self.previews_enabled:
            self._set_preview(frame)

    @work(group="results-preview", exclusive=True, exit_on_error=False)
    async def _load_preview(self, url: str) -> None:
        """Fetch (keyless, capped) and decode a preview off the UI thread (cached by URL)."""
        self._size_images()
        try:
            image = await self.images.preview(url)
        except (DownloadError, OSError, ValueError) as exc:  # incl. what PIL cannot read
            self._problems[url] = f"no preview: {exc}"
            if self._current_url() == url and self.selected_item is not None and not self.raw:
                self._set_preview(None)  # the room kept for it goes
                self._body(self.file_text(self.selected_item))
            return
        self._problems.pop(url, None)
        if self._current_url() == url and not self.raw:
            self._set_preview(image)

    @work(group="results-thumbs", exclusive=True, exit_on_error=False)
    async def _load_thumbnails(self, generation: int) -> None:
        """Fetch and decode the sheet's thumbnails a few at a time, filling cells as they come."""
        self._size_images()
        sheet = self.query_one(ContactSheet)
        gate = asyncio.Semaphore(THUMB_CONCURRENCY)
        page = [(n, self.items[n]) for n in sheet.page if n < len(self.items)]
        wanted = [
            (n, item.url)
            for n, item in page
            if item.kind == "image" and item.url and not self.images.cached_thumbnail(item.url)
        ]

        async def one(index: int, url: str) -> None:
            async with gate:
                try:
                    thumb = await self.images.thumbnail(url)
                except (DownloadError, OSError, ValueError) as exc:
                    if generation == self._generation:
                        gone = "gone" if "no longer served" in str(exc) else "no preview"
                        sheet.set_thumbnail(index, None, gone)
                    return
            if generation == self._generation:
                sheet.set_thumbnail(index, thumb)

        await asyncio.gather(*(one(n, url) for n, url in wanted))

    @work(group="results-facts", exclusive=True, exit_on_error=False)
    async def _load_facts(self, item: ResultItem) -> None:
        """Read an audio/video/mesh output's header (or first frame) and show what it says."""
        from faltui.core.outputs.facts import media_facts
        from faltui.core.outputs.video import VideoTools

        if not isinstance(item.output, OutputFile):
            return
        tools = self.video_tools
        if tools is None and item.kind == "video":
            tools = await asyncio.to_thread(VideoTools.find)
        facts = await media_facts(self.outputs, item.output, tools)
        url = item.output.url
        self._facts[url] = facts
        if self.selected_item is not item or self.raw:
            return
        self._body(self.file_text(item))
        if facts.video is not None and facts.video.first_frame is not None:
            self._show_frame(facts.video.first_frame)

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

    def action_send_to(self) -> None:
        """Send the job's outputs (the selected one first) to another model."""
        item = self.selected_item
        job = item.job if item is not None and item.job is not None else self.job
        if job is None:
            self.notify("No job selected.", markup=False)
            return
        first = item.url or item.text if item is not None else None
        self.post_message(self.SendRequested(job.id, first))

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
        if item is not None and item.segments:
            self._copy(item.text or "", f"the transcript as SRT ({len(item.segments)} cues)")
        elif item is not None and item.text is not None:
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

    def action_play(self) -> None:
        """Play the selected audio or video with a command-line player or the system's opener
        (saving it first when it is not saved yet); ``p`` again stops what ``p`` started."""
        if self._stop_player():
            self.notify("Stopped playback.", markup=False)
            return
        item = self.selected_item
        if item is None or item.kind not in PLAYABLE or not isinstance(item.output, OutputFile):
            what = f"this is {item.kind}" if item else "no output selected"
            self.notify(f"p plays audio and video outputs; {what}.", markup=False)
            return
        if is_ssh():
            self.notify(
                "Over SSH a player would start on the remote machine, not yours; d downloads "
                "the file, c copies its URL.",
                markup=False,
            )
            return
        self._play(item)

    @work(group="results-play", exclusive=True, exit_on_error=False)
    async def _play(self, item: ResultItem) -> None:
        assert isinstance(item.output, OutputFile)
        path = self.outputs.local_copy(item.output)
        if path is None:
            try:
                path = (await self.outputs.download(item.output)).path
            except (DownloadError, SaveError) as exc:
                self.notify(
                    f"Cannot play {item.title}: {exc}",
                    title="Play",
                    severity="error",
                    markup=False,
                )
                return
            if self.selected_item is item and not self.raw:
                self._body(self.file_text(item))
        player = choose_player(path, item.kind)
        if player is not None:
            try:
                self._player = start_player(player)
            except OSError as exc:
                self.notify(f"{player.name} did not start: {exc}", severity="error", markup=False)
                return
            self.notify(
                f"Playing {path.name} with {player.name} (p again stops it).",
                title="Play",
                markup=False,
            )
            return
        why = why_no_player(path, item.kind)
        if open_target(path):
            self.notify(
                f"Opened {path.name} with the system's default application ({why}).",
                title="Play",
                markup=False,
            )
            return
        self.notify(
            f"Cannot play {path.name} here: {why}, and there is no desktop to open it on. "
            f"It is saved at {path}.",
            title="Play",
            severity="warning",
            markup=False,
        )

    def _stop_player(self) -> bool:
        """Stop the player ``p`` started, if it still runs; whether one was stopped."""
        player, self._player = self._player, None
        if player is None or player.poll() is not None:
            return False
        player.terminate()
        try:
            player.wait(timeout=2)
        except subprocess.TimeoutExpired:
            player.kill()
        return True

    def action_download(self) -> None:
        """Save the selected output to the download folder (in the background)."""
        item = self.selected_item
        if item is None:
            self.notify("No output to download.", markup=False)
            return
        self._download(item)

    def action_download_all(self) -> None:
        """Save every output shown (files, texts; every job of a batch) to the download folder."""
        if not self.items:
            self.notify("No outputs to download.", markup=False)
            return
        self._download(*self.items)

    @work(group="results-download", exit_on_error=False)
    async def _download(self, *items: ResultItem) -> None:
        """Save outputs through the core service; one notice for the whole run."""
        await self._save([item.output for item in items])
        item = self.selected_item
        if item is not None and item in items and item.text is None and not self.raw:
            self._body(self.file_text(item))

    async def _progress_bar(self) -> ProgressBar:
        """The downloads' progress bar, mounted under the output list on first use (composed
        up front it cost start-up time for a widget hidden until something is saved)."""
        from textual.widgets import ProgressBar

        try:
            return self.query_one("#results-progress", ProgressBar)
        except NoMatches:
            bar = ProgressBar(id="results-progress", show_eta=False)
            await self.mount(bar, after="#results-list")
            return bar

    async def _save(self, outputs: list[OutputFile | TextOutput]) -> None:
        bar = await self._progress_bar()
        bar.update(total=None, progress=0)
        self.add_class("-downloading")
        try:
            report = await self.outputs.download_all(outputs, on_progress=progress_to(bar))
        finally:
            self.remove_class("-downloading")
        notify_report(self, report)

    def action_save_subtitles(self) -> None:
        """Save the highlighted job's timed transcript as ``.srt`` and ``.vtt`` files (never
        over an existing file)."""
        item = self.selected_item
        timed = item if item is not None and item.segments else None
        if timed is None and item is not None:
            timed = next((i for i in self.items if i.segments and i.job is item.job), None)
        if timed is None or not isinstance(timed.output, TextOutput):
            self.notify(
                "No timed transcript here: s saves whisper-style chunks (timestamps and text) "
                "as SRT and VTT subtitles.",
                markup=False,
            )
            return
        srt = timed.output
        vtt_name = srt.file_name.rsplit(".", 1)[0] + ".vtt"
        self._save_subtitles(srt, TextOutput("chunks (WebVTT)", to_vtt(timed.segments), vtt_name))

    @work(group="results-download", exit_on_error=False)
    async def _save_subtitles(self, srt: TextOutput, vtt: TextOutput) -> None:
        await self._save([srt, vtt])

    def action_toggle_raw(self) -> None:
        """Switch between the outputs view and the raw result JSON."""
        self.raw = not self.raw
        self._show_selection()

    def action_toggle_maximize(self) -> None:
        """Maximize the pane (the whole result at full size), or restore it."""
        if self.is_maximized:
            self.screen.minimize()
        else:
            self.screen.maximize(self)

    def on_resize(self, event: events.Resize) -> None:
        sheet = self.query_one(ContactSheet)
        cell = CELL_MAXIMIZED if self.is_maximized else CELL
        if sheet.cell != cell:
            sheet.set_cell_size(cell)


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
    "human_size",
    "item_prompt",
    "items_for",
    "notify_report",
    "open_image",
    "progress_line",
    "progress_to",
]
