"""Images for the results pane: previews and contact-sheet thumbnails, decoded off the UI thread.

One fetch per URL, even when the preview and the thumbnail of an image are asked for at once
(the second waits for the first); the decoded images are kept in two small per-URL caches.
Bytes come from the core ``Outputs`` service (keyless, capped, a saved copy when there is one).
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from faltui.core.outputs import Outputs

#: Previews are scaled down to at most this many pixels per side before display.
PREVIEW_MAX_SIDE = 1024
#: The same for previews drawn with character cells (two pixels per cell): a maximized pane
#: shows some 160×100 of them, and every pixel more is scaled away on the UI thread when the
#: preview is drawn.
CELL_PREVIEW_MAX_SIDE = 320
#: Thumbnails of the contact sheet, at most this many pixels per side.
THUMB_MAX_SIDE = 192
#: Previews kept in memory (by URL).
PREVIEW_CACHE = 8
#: Thumbnails kept in memory (by URL); they are small.
THUMB_CACHE = 96


def open_image(data: bytes, max_side: int = PREVIEW_MAX_SIDE) -> PILImage:
    """A fully loaded PIL image (first frame of animations), scaled and converted for display.

    CPU-bound: run it in a thread. Raises ``OSError``/``ValueError`` for bytes that are not an
    image it can show.
    """
    from PIL import Image

    try:
        opened = Image.open(io.BytesIO(data))
        opened.draft("RGB", (max_side, max_side))  # JPEG: decode at lower scale
        opened.load()
    except Image.DecompressionBombError as exc:
        raise ValueError(str(exc)) from None
    image: PILImage = opened
    if max(image.size) > max_side:  # a terminal shows far fewer pixels than this
        image.thumbnail((max_side, max_side))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    return image


def make_thumbnail(image: PILImage) -> PILImage:
    """A small copy of a decoded image for the contact sheet."""
    thumb = image.copy()
    thumb.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE))
    return thumb


def draws_with_cells(widget: type | None) -> bool:
    """Whether the image ``widget`` (ours or textual-image's) draws with character cells
    (half blocks or Unicode), not terminal graphics (Sixel, the Kitty protocol)."""
    if widget is None:
        return False
    from faltui.tui.widgets.cell_image import CellImage

    if issubclass(widget, CellImage):
        return True
    from textual_image import renderable
    from textual_image import widget as image_widgets

    if issubclass(widget, (image_widgets.HalfcellImage, image_widgets.UnicodeImage)):
        return True
    cell_renderables = (renderable.HalfcellImage, renderable.UnicodeImage)
    return widget is image_widgets.Image and renderable.Image in cell_renderables


def _decode_both(data: bytes, max_side: int) -> tuple[PILImage, PILImage]:
    image = open_image(data, max_side)
    return image, make_thumbnail(image)


class _Lru(OrderedDict[str, "PILImage"]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_fresh(self, url: str) -> PILImage | None:
        image = self.get(url)
        if image is not None:
            self.move_to_end(url)
        return image

    def put(self, url: str, image: PILImage) -> None:
        self[url] = image
        self.move_to_end(url)
        while len(self) > self.size:
            self.popitem(last=False)


class ImageLoader:
    """Previews and thumbnails by URL: fetched once, decoded in a thread, cached."""

    def __init__(self, outputs: Outputs) -> None:
        self.outputs = outputs
        #: Previews are decoded to at most this many pixels per side (see ``sized_for``).
        self.preview_max_side = PREVIEW_MAX_SIDE
        self.previews = _Lru(PREVIEW_CACHE)
        self.thumbs = _Lru(THUMB_CACHE)
        self._pending: dict[str, asyncio.Task[tuple[PILImage, PILImage]]] = {}

    def sized_for(self, widget: type | None) -> None:
        """Decode previews for the widget that shows them (fewer pixels for cell drawing)."""
        self.preview_max_side = (
            CELL_PREVIEW_MAX_SIDE if draws_with_cells(widget) else PREVIEW_MAX_SIDE
        )

    async def preview(self, url: str) -> PILImage:
        """The display-size image (raises ``DownloadError``, ``OSError``, ``ValueError``)."""
        cached = self.previews.get_fresh(url)
        if cached is not None:
            return cached
        image, _ = await self._load(url)
        return image

    async def thumbnail(self, url: str) -> PILImage:
        """The contact-sheet thumbnail (same errors as ``preview``)."""
        cached = self.thumbs.get_fresh(url)
        if cached is not None:
            return cached
        _, thumb = await self._load(url)
        return thumb

    def cached_preview(self, url: str) -> PILImage | None:
        """The preview if it is decoded already (no fetch)."""
        return self.previews.get_fresh(url)

    def cached_thumbnail(self, url: str) -> PILImage | None:
        """The thumbnail if it is decoded already (no fetch)."""
        return self.thumbs.get_fresh(url)

    async def _load(self, url: str) -> tuple[PILImage, PILImage]:
        """Fetch and decode ``url`` once: callers asking meanwhile share the same task, and a
        caller that gives up (its worker cancelled) does not stop it for the others."""
        task = self._pending.get(url)
        if task is None:
            task = asyncio.create_task(self._fetch(url))
            self._pending[url] = task
            task.add_done_callback(lambda done: self._finished(url, done))
        return await asyncio.shield(task)

    async def _fetch(self, url: str) -> tuple[PILImage, PILImage]:
        data = await self.outputs.preview_bytes(url)
        image, thumb = await asyncio.to_thread(_decode_both, data, self.preview_max_side)
        self.previews.put(url, image)
        self.thumbs.put(url, thumb)
        return image, thumb

    def _finished(self, url: str, task: asyncio.Task[tuple[PILImage, PILImage]]) -> None:
        self._pending.pop(url, None)
        if not task.cancelled():
            task.exception()  # retrieved, so a load nobody waits for any more stays quiet


__all__ = ["ImageLoader", "make_thumbnail", "open_image"]
