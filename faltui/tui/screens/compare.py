"""The compare screen: two or more jobs side by side.

One column per job — its model and state, its output (an image preview, the text, the facts of
an audio or video file), its timings and its cost (estimate and billed) — and the inputs as a
diff: each field that differs on a row of its own, highlighted; the equal ones folded into one
line (``=`` unfolds them). As many columns show as fit (two at 80 columns); ``←``/``→`` choose a
column and the view follows it beyond the edge. ``f`` or ``enter`` picks the chosen job: the
screen closes with it and the main screen forks it into the form (as ``e`` on the detail
screen does). ``escape`` closes.

Everything from jobs and servers is literal ``Text`` (``compare_text``), never markup.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from faltui.core.compare import Comparison, compare_jobs
from faltui.core.errors import FaltuiError
from faltui.core.job import Job, JobState
from faltui.core.outputs import DownloadError, OutputFile, Outputs
from faltui.core.outputs.facts import MediaFacts, media_facts
from faltui.core.prices import PriceBook
from faltui.core.pricing import Price
from faltui.tui.compare_text import (
    duration_text,
    field_label,
    fold_text,
    head_text,
    outputs_text,
    run_text,
    value_cell,
)
from faltui.tui.format import one_line
from faltui.tui.widgets.result_images import ImageLoader
from faltui.tui.widgets.result_text import facts_text

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Narrowest a job column gets before fewer columns are shown.
MIN_COLUMN = 28
#: Width of the labels on the left.
GUTTER = 18
#: Seconds between refreshes while a compared job is still running.
REFRESH_INTERVAL = 1.0
#: Most jobs one comparison shows (more columns than this are no longer a comparison; the
#: screen opens on the first ones and the caller says so).
MAX_JOBS = 24
#: Image previews fetched at once.
PREVIEW_CONCURRENCY = 3
#: Environment variable that turns inline image previews off (as in the results pane).
NO_PREVIEW_ENV = "FALTUI_NO_PREVIEW"


def columns_that_fit(width: int) -> int:
    """How many job columns fit beside the gutter in ``width`` cells (at least one)."""
    return max(1, (width - GUTTER - 2) // MIN_COLUMN)


def preview_rows(height: int) -> int:
    """Rows an image preview takes on a screen ``height`` rows tall (5 at 24, 12 at 48)."""
    return max(5, min(12, (height - 12) // 3))


class CompareBody(VerticalScroll, can_focus=False):
    """The scrolling part (the screen takes the keys: ``←``/``→`` choose a column)."""


class CompareScreen(Screen[Job | None]):
    """Jobs side by side; dismisses with the job picked to fork, or ``None``."""

    DEFAULT_CSS = f"""
    CompareScreen {{ layout: vertical; }}
    CompareScreen #compare-title {{ height: 1; padding: 0 1; background: $panel;
        text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }}
    CompareScreen #compare-body {{ height: 1fr; }}
    CompareScreen .compare-row {{ height: auto; }}
    CompareScreen .compare-gutter {{ width: {GUTTER}; color: $text-muted; padding: 0 1 0 0;
        text-wrap: nowrap; text-overflow: ellipsis; }}
    CompareScreen .compare-cell {{ width: 1fr; height: auto; padding: 0 1; }}
    CompareScreen .compare-cell.-selected {{ background: $boost; }}
    CompareScreen .compare-head {{ border-bottom: solid $panel-lighten-2; text-wrap: nowrap;
        text-overflow: ellipsis; }}
    CompareScreen .compare-head.-selected {{ border-bottom: heavy $accent; }}
    CompareScreen .compare-output {{ layout: vertical; }}
    CompareScreen .compare-preview {{ width: auto; height: 8; display: none; }}
    CompareScreen .compare-output.-preview .compare-preview {{ display: block; }}
    CompareScreen .compare-section {{ height: 1; padding: 0 1; margin-top: 1;
        text-style: bold; color: $text; background: $panel; }}
    CompareScreen .-differs .compare-gutter {{ color: $warning; text-style: bold; }}
    CompareScreen .compare-cell.-differs {{ background: $warning 15%; }}
    CompareScreen .compare-cell.-differs.-selected {{ background: $warning 30%; }}
    CompareScreen #compare-fold {{ height: auto; padding: 0 1; color: $text-muted; }}
    CompareScreen #compare-equal {{ height: auto; display: none; }}
    CompareScreen #compare-equal.-shown {{ display: block; }}
    CompareScreen .compare-common {{ width: 1fr; height: auto; padding: 0 1;
        color: $text-muted; }}
    """

    BINDINGS: ClassVar = [
        Binding("escape", "close", "Close", id="compare.close"),
        Binding("left,h", "choose(-1)", "Previous job", id="compare.previous"),
        Binding("right,l", "choose(1)", "Next job", id="compare.next"),
        Binding("f,enter", "pick", "Pick this one → fork", id="compare.pick"),
        Binding("equals_sign", "toggle_equal", "Show/fold equal fields", id="compare.equal"),
        Binding("down,j", "scroll(1)", "Scroll down", show=False, id="compare.down"),
        Binding("up,k", "scroll(-1)", "Scroll up", show=False, id="compare.up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="compare.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="compare.page_up"),
        Binding("home,g", "top", "Top", show=False, id="compare.top"),
    ]

    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        prices: PriceBook | Mapping[str, Price] | None = None,
        outputs: Outputs | None = None,
        images: ImageLoader | None = None,
        image_widget: type[Widget] | None = None,
    ) -> None:
        super().__init__()
        self.jobs = list(jobs)
        self.prices = prices
        self.outputs = outputs
        self.images = images if images is not None else (ImageLoader(outputs) if outputs else None)
        self.image_widget = image_widget if not os.environ.get(NO_PREVIEW_ENV) else None
        #: Raises ``NotEnoughJobs`` for fewer than two jobs (the caller says so instead).
        self.comparison: Comparison = compare_jobs(self.jobs, self._known_prices())
        self.selected = 0
        self.first = 0
        self.shown = 1
        self.equal_shown = False
        self._facts: dict[str, MediaFacts] = {}
        self._previewed: set[int] = set()
        #: Media URLs whose facts are being read (each is read once).
        self._reading: set[str] = set()
        self._preview_gate = asyncio.Semaphore(PREVIEW_CONCURRENCY)

    # -- building --------------------------------------------------------------------

    def _known_prices(self) -> Mapping[str, Price]:
        if isinstance(self.prices, PriceBook):
            return self.prices.known()
        return self.prices or {}

    def _row(self, label: Text, cells: list[Widget], classes: str = "") -> Horizontal:
        return Horizontal(
            Static(label, classes="compare-gutter", markup=False),
            *cells,
            classes=f"compare-row {classes}".strip(),
        )

    def _cells(self, name: str, texts: Sequence[Text], extra: str = "") -> list[Widget]:
        return [
            Static(
                text,
                id=f"{name}-{n}",
                classes=f"compare-cell col-{n} {extra}".strip(),
                markup=False,
            )
            for n, text in enumerate(texts)
        ]

    def compose(self) -> ComposeResult:
        comparison = self.comparison
        columns = comparison.columns
        yield Static("", id="compare-title", markup=False)
        with CompareBody(id="compare-body"):
            yield self._row(
                Text("job"),
                self._cells("head", [Text("") for _ in columns], "compare-head"),
            )
            outputs: list[Widget] = []
            for n, _column in enumerate(columns):
                parts: list[Widget] = []
                if self.image_widget is not None:
                    parts.append(self.image_widget(classes="compare-preview", id=f"preview-{n}"))
                parts.append(Static("", id=f"outtext-{n}", markup=False))
                classes = f"compare-cell col-{n} compare-output"
                outputs.append(Vertical(*parts, id=f"output-{n}", classes=classes))
            yield self._row(Text("output"), outputs)
            diff = comparison.inputs
            heading = f"Inputs · {len(diff.differing)} differ · {len(diff.equal)} equal"
            yield Static(Text(heading), classes="compare-section", markup=False)
            if comparison.models_differ:
                models = [Text(one_line(c.job.endpoint_id), style="bold") for c in columns]
                cells = self._cells("model", models, "-differs")
                yield self._row(Text("≠ model"), cells, "-differs")
            for index, field in enumerate(diff.differing):
                texts = [
                    value_cell(value, differs=True, present=present)
                    for value, present in zip(field.values, field.present, strict=True)
                ]
                yield self._row(
                    field_label(field), self._cells(f"diff{index}", texts, "-differs"), "-differs"
                )
            yield Static(fold_text(len(diff.equal), False, "="), id="compare-fold", markup=False)
            with Vertical(id="compare-equal"):
                for field in diff.equal:
                    yield self._row(
                        field_label(field),
                        [
                            Static(
                                value_cell(field.common, differs=False, present=True),
                                classes="compare-common",
                                markup=False,
                            )
                        ],
                    )
            yield Static(Text("Time and cost"), classes="compare-section", markup=False)
            for name in ("queue", "run", "total", "estimate", "billed"):
                yield self._row(Text(name), self._cells(name, [Text("") for _ in columns]))
        yield Footer()

    def on_mount(self) -> None:
        rows = preview_rows(self.app.size.height)
        for preview in self.query(".compare-preview"):
            preview.styles.height = rows
        self._fit(self.app.size.width)
        self._fill()
        if isinstance(self.prices, PriceBook):
            self._fetch_prices()
        if any(not job.final for job in self.jobs):
            self.set_interval(REFRESH_INTERVAL, self.refresh_jobs)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    # -- filling in --------------------------------------------------------------------

    def _fill(self) -> None:
        """Write every per-job cell from the comparison (again after prices or jobs change)."""
        comparison = self.comparison
        for n, column in enumerate(comparison.columns):
            self._static(f"#head-{n}").update(
                head_text(
                    column,
                    n + 1,
                    selected=n == self.selected,
                    models_differ=comparison.models_differ,
                )
            )
            self._show_output(n)
            timings = column.timings
            self._static(f"#queue-{n}").update(duration_text(timings.queue))
            self._static(f"#run-{n}").update(run_text(timings))
            self._static(f"#total-{n}").update(duration_text(timings.total))
            self._static(f"#estimate-{n}").update(Text(column.estimate, end=""))
            self._static(f"#billed-{n}").update(Text(column.billed, end=""))
        self._title()

    def _static(self, selector: str) -> Static:
        return self.query_one(selector, Static)

    def _title(self) -> None:
        count = len(self.jobs)
        text = f"Compare {count} jobs"
        if self.shown < count:
            last = min(count, self.first + self.shown)
            left = "◀ " if self.first > 0 else ""
            right = " ▶" if last < count else ""
            text += f" · {left}{self.first + 1}–{last} of {count}{right}"
        text += f" · billed {self.comparison.spend().text()}"
        text += " · ←/→ choose · f pick → fork · = equal fields · esc close"
        self._static("#compare-title").update(Text(text, end=""))

    def _show_output(self, n: int) -> None:
        column = self.comparison.columns[n]
        text = outputs_text(column)
        media = [f for f in column.outputs.files if f.kind in ("audio", "video")]
        if media and column.job.state is JobState.done:
            first = media[0]
            facts = self._facts.get(first.url)
            if facts is not None:
                text.append_text(facts_text(facts, None))
            elif self.outputs is not None:
                text.append("reading the file's header…\n", style="dim")
                if first.url not in self._reading:
                    self._reading.add(first.url)
                    self._load_facts(n, first)
        self._static(f"#outtext-{n}").update(text)
        images = column.outputs.images
        if (
            images
            and column.job.state is JobState.done
            and self.image_widget is not None
            and self.images is not None
            and n not in self._previewed
        ):
            self._previewed.add(n)
            self._load_preview(n, images[0].url)

    @work(group="compare-previews", exit_on_error=False)
    async def _load_preview(self, n: int, url: str) -> None:
        """Fetch and decode column ``n``'s first image (shared cache with the results pane)."""
        assert self.images is not None
        try:
            async with self._preview_gate:  # the columns on the left (shown first) go first
                image = await self.images.preview(url)
        except (DownloadError, OSError, ValueError) as exc:
            self._static(f"#outtext-{n}").update(
                outputs_text(self.comparison.columns[n]).append(
                    f"no preview: {exc}", style="yellow"
                )
            )
            return
        self._set_preview(n, image)

    def _set_preview(self, n: int, image: PILImage) -> None:
        widget = self.query_one(f"#preview-{n}")
        widget.image = image  # type: ignore[attr-defined]
        self.query_one(f"#output-{n}").add_class("-preview")

    @work(group="compare-facts", exit_on_error=False)
    async def _load_facts(self, n: int, output: OutputFile) -> None:
        """Read an audio or video output's header and show its facts under the column."""
        if self.outputs is None:
            return
        facts = await media_facts(self.outputs, output)
        self._facts[output.url] = facts
        self._show_output(n)
        frame = facts.video.first_frame if facts.video is not None else None
        if frame is not None and self.image_widget is not None:
            self._set_preview(n, frame)

    @work(group="compare-prices", exclusive=True, exit_on_error=False)
    async def _fetch_prices(self) -> None:
        """Ask fal for the unit prices not known yet, then show the costs again."""
        assert isinstance(self.prices, PriceBook)
        ids = {job.endpoint_id for job in self.jobs}
        try:
            await self.prices.fetch(ids)
        except FaltuiError:  # fetch says why in .problem; costs stay as they are
            return
        if self.prices.problem and any(
            self.prices.get(job.endpoint_id) is None for job in self.jobs
        ):
            self.notify(self.prices.problem, title="Compare", severity="warning", markup=False)
        self.refresh_jobs()

    def refresh_jobs(self) -> None:
        """Compare again from the (live, shared) jobs: states, outputs, timings, costs."""
        self.comparison = compare_jobs(self.jobs, self._known_prices())
        if self.is_mounted:
            self._fill()

    # -- columns -----------------------------------------------------------------------

    def _fit(self, width: int) -> None:
        self.shown = min(len(self.jobs), columns_that_fit(width))
        self._follow()

    def _follow(self) -> None:
        """Move the window of shown columns so the chosen one is in it, then show it."""
        if self.selected < self.first:
            self.first = self.selected
        elif self.selected >= self.first + self.shown:
            self.first = self.selected - self.shown + 1
        self.first = max(0, min(self.first, len(self.jobs) - self.shown))
        for n in range(len(self.jobs)):
            visible = self.first <= n < self.first + self.shown
            for cell in self.query(f".col-{n}"):
                cell.display = visible
                cell.set_class(n == self.selected, "-selected")
        self._title()

    def action_choose(self, step: int) -> None:
        """Choose the previous (-1) or next (1) job column."""
        target = max(0, min(len(self.jobs) - 1, self.selected + step))
        if target == self.selected:
            return
        before = self.selected
        self.selected = target
        self._follow()
        for n in (before, target):
            column = self.comparison.columns[n]
            self._static(f"#head-{n}").update(
                head_text(
                    column,
                    n + 1,
                    selected=n == target,
                    models_differ=self.comparison.models_differ,
                )
            )

    @property
    def chosen(self) -> Job:
        """The job of the chosen column."""
        return self.jobs[self.selected]

    def action_pick(self) -> None:
        """Close with the chosen job, to fork it into the form."""
        self.dismiss(self.chosen)

    def action_close(self) -> None:
        """Close without picking."""
        self.dismiss(None)

    def action_toggle_equal(self) -> None:
        """Show the equal fields, or fold them into one line again."""
        self.equal_shown = not self.equal_shown
        self.query_one("#compare-equal").set_class(self.equal_shown, "-shown")
        count = len(self.comparison.inputs.equal)
        self._static("#compare-fold").update(fold_text(count, self.equal_shown, "="))

    # -- scrolling ---------------------------------------------------------------------

    @property
    def body(self) -> CompareBody:
        """The scrolling part."""
        return self.query_one(CompareBody)

    def action_scroll(self, step: int) -> None:
        """One line down or up."""
        self.body.scroll_relative(y=step, animate=False)

    def action_page(self, step: int) -> None:
        """One screen down or up."""
        body = self.body
        body.scroll_relative(y=step * max(1, body.size.height - 1), animate=False)

    def action_top(self) -> None:
        """Back to the top."""
        self.body.scroll_home(animate=False)


__all__ = ["MAX_JOBS", "CompareScreen", "columns_that_fit", "preview_rows"]
