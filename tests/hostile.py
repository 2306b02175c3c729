"""One corpus of hostile strings, for every surface that shows text we did not write.

A server, a schema, a file name or a journal row may carry any of these. Every surface must
show them literally: no markup parsed (no action run, no crash), no control or bidi character
reaching the terminal. CLI tests assert on raw bytes; TUI tests (Pilot) reuse the same corpus.

``unsafe_chars`` is this suite's own oracle: it does not import faltui's sanitiser.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

#: The bundled OpenAPI documents (inside the repository).
SCHEMAS = Path(__file__).resolve().parents[1] / "faltui" / "data" / "schemas"
#: The endpoint id of the hostile model (``hostile_openapi``).
HOSTILE_MODEL = "hostile/model"

#: Textual/Rich markup that must stay text (a MarkupError, a click action or a link otherwise).
MARKUP = {
    "closing_tag": "a lighthouse [/docs] at dusk",
    "bold": "[bold]loud[/bold] and [/] stray",
    "click_quit": "[@click=app.quit]quit the app[/]",
    "click_screenshot": "[@click=app.screenshot('x.svg','/tmp')]CLICK[/]",
    "link": "[link=https://evil.example/]click me[/link]",
    "emoji_and_verse": "[verse] Fast and :warning: loud",
}

#: Terminal escapes: OSC 52 (clipboard), OSC 8 (hyperlink), OSC 0 (title), CSI, C1, DEL, NUL.
ESCAPES = {
    "osc52_clipboard": "copy \x1b]52;c;ZXZpbCBjb21tYW5k\x07 done",
    "osc8_link": "\x1b]8;;https://evil.example/\x1b\\innocent\x1b]8;;\x1b\\",
    "osc0_title": "\x1b]0;pwned title\x07name",
    "csi_clear": "before\x1b[2J\x1b[Hafter",
    "c1_csi": "c1\x9b2Jclear",
    "c1_osc": "c1\x9d0;title\x9c",
    "del_nul_bel": "a\x7fb\x00c\x07d",
    "carriage_return": "visible\rOVERWRITE",
}

#: Bidi controls that reorder what is shown (invoice‮gnp.exe shows as invoiceexe.png).
BIDI = {
    "rlo": "invoice\u202egnp.exe",
    "isolates": "\u2066left\u2069 \u2067right\u2069 \u2068first\u2069",
    "marks": "a\u200eb\u200fc\u061cd",
    "embeddings": "\u202aembed\u202c \u202bembed\u202c \u202doverride\u202c",
    "separators": "line\u2028separator\u2029paragraph",
}

#: Sizes and shapes that break layouts or encoders.
SHAPES = {
    "long_line": "A" * 10_000,
    "multi_line": "line one\nline two\r\nline three",
    "lone_surrogate": "broken \udc9b surrogate",
}

CORPUS: dict[str, str] = {**MARKUP, **ESCAPES, **BIDI, **SHAPES}

#: Everything at once, for surfaces with room for one value only.
ALL_IN_ONE = " | ".join(v for k, v in CORPUS.items() if k != "long_line")

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "\u2028\u2029\ud800-\udfff]")


def unsafe_chars(text: str) -> list[str]:
    """Every character of ``text`` a terminal must never receive raw (newline and tab allowed)."""
    return _UNSAFE.findall(text)


def assert_terminal_safe(data: bytes | str, where: str = "output") -> None:
    """No ESC, no C0 but newline/tab, no DEL, no C1, no bidi, no surrogate in ``data``.

    Bytes are decoded as UTF-8 (a C1 control arrives as ``C2 9B``); undecodable bytes fail.
    """
    if isinstance(data, bytes):
        assert b"\x1b" not in data, f"{where}: raw ESC byte"
        text = data.decode("utf-8")
    else:
        text = data
    found = unsafe_chars(text)
    assert not found, f"{where}: unsafe characters {sorted({hex(ord(c)) for c in found})}"


def hostile_openapi(endpoint_id: str = HOSTILE_MODEL) -> dict[str, Any]:
    """fal's OpenAPI document of ``fal-ai/flux/dev`` turned hostile, as ``endpoint_id``.

    The corpus lands in the title, a description (with a 10,000-character line), examples
    (markup: ``[/docs]``, ``[@click=app.screenshot(…)]``), and a whole extra field whose name,
    title, description, default and enum values carry escapes, bidi and markup.
    """
    doc = copy.deepcopy(json.loads((SCHEMAS / "fal-ai__flux__dev.json").read_text()))
    text = json.dumps(doc).replace("fal-ai/flux/dev", endpoint_id)
    doc = json.loads(text)
    doc["info"]["title"] = ALL_IN_ONE
    doc["info"].setdefault("x-fal-metadata", {})["endpointId"] = endpoint_id
    inputs = next(v for k, v in doc["components"]["schemas"].items() if k.endswith("Input"))
    props = inputs["properties"]
    props["prompt"]["description"] = ALL_IN_ONE + "\n" + SHAPES["long_line"]
    props["prompt"]["examples"] = [MARKUP["closing_tag"], MARKUP["click_screenshot"]]
    props["evil" + ESCAPES["csi_clear"]] = {
        "type": "string",
        "title": ESCAPES["osc0_title"],
        "description": ESCAPES["osc52_clipboard"] + " " + MARKUP["click_quit"],
        "default": ESCAPES["c1_csi"] + BIDI["rlo"],
        "enum": [ESCAPES["c1_csi"] + BIDI["rlo"], MARKUP["click_quit"], MARKUP["link"]],
    }
    return doc


def write_hostile_schema(folder: Path, endpoint_id: str = HOSTILE_MODEL) -> Path:
    """Write ``hostile_openapi`` as ``owner__app.json`` in ``folder`` (for ``--schemas``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (endpoint_id.replace("/", "__") + ".json")
    path.write_text(json.dumps(hostile_openapi(endpoint_id)))
    return path
