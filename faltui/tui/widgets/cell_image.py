"""An image drawn with half blocks, for terminals without a graphics protocol (tmux, most SSH).

Each cell shows two pixels: ``▀`` in the top pixel's colour on the bottom pixel's colour, so a
cell about twice as tall as wide shows square pixels. textual-image draws the same way but
builds its renderable again on every repaint (scaling the image and going through Rich's
segment pipeline), and lays the whole screen out whenever its image changes. Here the lines
are built once per image and size (a few ms for a preview) and kept; a new image of the same
shape only repaints the widget.

Drop-in for what the results pane, the contact sheet and the compare screen use of
textual-image's widget: ``CellImage(image, classes=..., id=...)`` and the ``image`` property.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.css.scalar import Unit
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

HALF_BLOCK = "▀"
#: A height nobody has: the container's height when Textual does not know it yet.
UNBOUNDED = 1 << 20


class CellImage(Widget):
    """A PIL image in half blocks, scaled to fit the widget's size with its shape kept."""

    DEFAULT_CSS = """
    CellImage { width: auto; height: auto; }
    """

    def __init__(
        self,
        image: PILImage | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._image: PILImage | None = image
        self._lines: list[Strip] | None = None
        self._lines_for: tuple[int, int] | None = None
        #: Images turned into lines since mount (for tests and benches).
        self.builds = 0

    @property
    def image(self) -> PILImage | None:
        """The image shown (None: nothing)."""
        return self._image

    @image.setter
    def image(self, image: PILImage | None) -> None:
        before = self._image
        self._image = image
        self._lines = self._lines_for = None
        # The widget's size follows the image's shape: only a new shape needs a layout.
        same_shape = before is not None and image is not None and _shape(before) == _shape(image)
        self.refresh(layout=not same_shape and (before is not None or image is not None))

    # -- size ------------------------------------------------------------------------------

    def get_content_width(self, container: Size, viewport: Size) -> int:
        if self._image is None:
            return 0
        rows = self._styled_rows() or container.height or UNBOUNDED
        width, _ = _fit(self._image, container.width, rows)
        return width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self._image is None:
            return 0
        rows = self._styled_rows() or container.height or UNBOUNDED
        _, height = _fit(self._image, width, rows)
        return height

    def _styled_rows(self) -> int | None:
        """The height the stylesheet gives in cells (None: auto, fractions, percentages)."""
        height = self.styles.height
        if height is not None and height.unit is Unit.CELLS:
            return int(height.value)
        return None

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width, height = self.content_size
        if self._lines is None or self._lines_for != (width, height):
            self._lines = self._build(width, height)
            self._lines_for = (width, height)
        return self._lines[y] if 0 <= y < len(self._lines) else Strip.blank(width)

    def _build(self, width: int, height: int) -> list[Strip]:
        image = self._image
        blank = Strip.blank(width, self.rich_style)
        if image is None or width <= 0 or height <= 0:
            return [blank] * max(0, height)
        self.builds += 1
        columns, rows = _fit(image, width, height)
        pixels = _rgb(image, columns, rows * 2, lambda: self.background_colors[1].rgb)
        left = (width - columns) // 2
        top = (height - rows) // 2
        pad = Segment(" " * left, self.rich_style) if left else None
        styles: dict[bytes, Style] = {}
        lines = [blank] * top
        stride = columns * 3
        for row in range(rows):
            upper = pixels[row * 2 * stride : (row * 2 + 1) * stride]
            lower = pixels[(row * 2 + 1) * stride : (row * 2 + 2) * stride]
            segments = [pad] if pad is not None else []
            run_style: Style | None = None
            run = 0
            for x in range(0, stride, 3):
                key = upper[x : x + 3] + lower[x : x + 3]
                style = styles.get(key)
                if style is None:
                    style = styles[key] = Style.from_color(
                        Color.from_rgb(key[0], key[1], key[2]),
                        Color.from_rgb(key[3], key[4], key[5]),
                    )
                if style is run_style:
                    run += 1
                    continue
                if run_style is not None:
                    segments.append(Segment(HALF_BLOCK * run, run_style))
                run_style, run = style, 1
            if run_style is not None:
                segments.append(Segment(HALF_BLOCK * run, run_style))
            lines.append(Strip(segments, left + columns).adjust_cell_length(width, self.rich_style))
        lines += [blank] * (height - len(lines))
        return lines


def _shape(image: PILImage) -> tuple[int, int]:
    return image.size


def _fit(image: PILImage, width: int, rows: int) -> tuple[int, int]:
    """Columns and rows that show ``image`` whole within ``width`` × ``rows`` cells, its
    shape kept (two square pixels per cell)."""
    image_width, image_height = image.size
    if image_width <= 0 or image_height <= 0 or width <= 0 or rows <= 0:
        return 0, 0
    columns = min(width, max(1, round(rows * 2 * image_width / image_height)))
    height = min(rows, max(1, round(columns * image_height / image_width / 2)))
    return columns, height


def _rgb(
    image: PILImage, width: int, height: int, background: Callable[[], tuple[int, int, int]]
) -> bytes:
    """``image`` scaled to ``width`` × ``height`` pixels, RGB (transparency laid over the
    colour ``background`` gives, asked only then)."""
    from PIL import Image

    scaled = image.resize((width, height), Image.Resampling.BILINEAR)
    if scaled.mode in ("RGBA", "LA", "P"):
        rgba = scaled.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (*background(), 255))
        flat.alpha_composite(rgba)
        scaled = flat
    return scaled.convert("RGB").tobytes()
