"""The half-block image widget: colours, shape, and lines built once per image and size."""

from __future__ import annotations

from PIL import Image
from rich.color import Color
from textual.app import App, ComposeResult

from faltui.tui.widgets.cell_image import HALF_BLOCK, CellImage


def quarters(width: int, height: int) -> Image.Image:
    """Red top-left, green top-right, blue bottom-left, white bottom-right."""
    image = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    for box, colour in (
        ((0, 0, half_w, half_h), (255, 0, 0)),
        ((half_w, 0, width, half_h), (0, 255, 0)),
        ((0, half_h, half_w, height), (0, 0, 255)),
        ((half_w, half_h, width, height), (255, 255, 255)),
    ):
        image.paste(colour, box)
    return image


class Host(App[None]):
    CSS = "CellImage { height: 4; }"

    def __init__(self, image: Image.Image | None) -> None:
        super().__init__()
        self.first = image

    def compose(self) -> ComposeResult:
        yield CellImage(self.first, id="image")


def cell(widget: CellImage, x: int, y: int) -> tuple[str, Color | None, Color | None]:
    """The character and its colours (foreground: top pixel, background: bottom) at x, y."""
    strip = widget.render_line(y)
    for segment in strip:
        if x < len(segment.text):
            style = segment.style
            assert style is not None
            return segment.text[x], style.color, style.bgcolor
        x -= len(segment.text)
    raise AssertionError("past the end of the line")


async def test_pixels_become_half_blocks_with_the_shape_kept() -> None:
    app = Host(quarters(64, 32))  # 2:1 → 4 rows of 2 pixels: 16 columns
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        widget = app.query_one(CellImage)
        assert widget.size == (16, 4)
        red = Color.from_rgb(255, 0, 0)
        assert cell(widget, 0, 0) == (HALF_BLOCK, red, red)
        assert cell(widget, 15, 0)[1:] == (Color.from_rgb(0, 255, 0), Color.from_rgb(0, 255, 0))
        assert cell(widget, 0, 3)[1:] == (Color.from_rgb(0, 0, 255), Color.from_rgb(0, 0, 255))
        assert cell(widget, 15, 3)[1:] == (Color.from_rgb(255, 255, 255),) * 2


async def test_lines_are_built_once_and_a_new_image_of_the_same_shape_keeps_the_size() -> None:
    app = Host(quarters(64, 32))
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        widget = app.query_one(CellImage)
        built = widget.builds
        assert built == 1
        widget.refresh()
        await pilot.pause()
        assert widget.builds == built  # repainted from the lines kept
        widget.image = Image.new("RGB", (64, 32), (10, 20, 30))
        await pilot.pause()
        assert widget.size == (16, 4) and widget.builds == built + 1
        assert cell(widget, 7, 2)[1] == Color.from_rgb(10, 20, 30)
        widget.image = quarters(32, 64)  # taller than wide: 4 rows → 4 columns
        await pilot.pause()
        assert widget.size == (4, 4)
        widget.image = None
        await pilot.pause()
        assert widget.size.width == 0


async def test_transparency_is_laid_over_the_background() -> None:
    image = Image.new("RGBA", (8, 8), (255, 0, 0, 0))  # fully transparent
    app = Host(image)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        widget = app.query_one(CellImage)
        background = widget.background_colors[1].rgb
        assert cell(widget, 0, 0)[1] == Color.from_rgb(*background)
