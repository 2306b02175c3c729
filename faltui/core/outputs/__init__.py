"""Getting results out: what a result holds, saving it, previewing it, exporting a job.

- ``find``: the files (``OutputFile``) and texts (``TextOutput``) of a result; file names.
- ``data_url``: ``data:`` URLs decoded to their exact bytes.
- ``save``: one ``O_EXCL`` reservation per saved file (never overwrite, no race).
- ``fetch``: keyless HTTP for file hosts, failures in words, a capped read for previews.
- ``record``: which output was saved where (so it is not fetched twice).
- ``service``: ``Outputs`` — download, download_all (with progress), preview; used by the
  CLI and the TUI alike.
- ``export``: curl / Python / faltui commands that repeat a job.

Names are imported on first use: the value types (``find``, ``report``) do not pull in the
HTTP client (the TUI's first frame needs only them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faltui.core.lazy import lazy_names

if TYPE_CHECKING:
    from faltui.core.outputs.data_url import (
        DataUrlError,
        data_url_type,
        decode_data_url,
        is_data_url,
    )
    from faltui.core.outputs.export import export_cli, export_curl, export_python
    from faltui.core.outputs.failures import DownloadError, FileGone, PreviewTooLarge
    from faltui.core.outputs.find import (
        KINDS,
        TEXT_KEYS,
        OutputFile,
        Saveable,
        TextOutput,
        file_name_for,
        find_outputs,
        find_saveables,
        find_text_outputs,
        find_texts,
        kind_of,
        safe_name,
        url_file_name,
    )
    from faltui.core.outputs.report import (
        DownloadProgress,
        DownloadReport,
        Failure,
        Saved,
        describe_item,
        human_size,
    )
    from faltui.core.outputs.save import SaveError, reserve, save_bytes
    from faltui.core.outputs.service import PREVIEW_MAX_BYTES, Outputs

_WHERE = {
    "DataUrlError": "faltui.core.outputs.data_url",
    "data_url_type": "faltui.core.outputs.data_url",
    "decode_data_url": "faltui.core.outputs.data_url",
    "is_data_url": "faltui.core.outputs.data_url",
    "export_cli": "faltui.core.outputs.export",
    "export_curl": "faltui.core.outputs.export",
    "export_python": "faltui.core.outputs.export",
    "DownloadError": "faltui.core.outputs.failures",
    "FileGone": "faltui.core.outputs.failures",
    "PreviewTooLarge": "faltui.core.outputs.failures",
    "KINDS": "faltui.core.outputs.find",
    "TEXT_KEYS": "faltui.core.outputs.find",
    "OutputFile": "faltui.core.outputs.find",
    "Saveable": "faltui.core.outputs.find",
    "TextOutput": "faltui.core.outputs.find",
    "file_name_for": "faltui.core.outputs.find",
    "find_outputs": "faltui.core.outputs.find",
    "find_saveables": "faltui.core.outputs.find",
    "find_text_outputs": "faltui.core.outputs.find",
    "find_texts": "faltui.core.outputs.find",
    "kind_of": "faltui.core.outputs.find",
    "safe_name": "faltui.core.outputs.find",
    "url_file_name": "faltui.core.outputs.find",
    "DownloadProgress": "faltui.core.outputs.report",
    "DownloadReport": "faltui.core.outputs.report",
    "Failure": "faltui.core.outputs.report",
    "Saved": "faltui.core.outputs.report",
    "describe_item": "faltui.core.outputs.report",
    "human_size": "faltui.core.outputs.report",
    "SaveError": "faltui.core.outputs.save",
    "reserve": "faltui.core.outputs.save",
    "save_bytes": "faltui.core.outputs.save",
    "PREVIEW_MAX_BYTES": "faltui.core.outputs.service",
    "Outputs": "faltui.core.outputs.service",
}

__all__ = [
    "KINDS",
    "PREVIEW_MAX_BYTES",
    "TEXT_KEYS",
    "DataUrlError",
    "DownloadError",
    "DownloadProgress",
    "DownloadReport",
    "Failure",
    "FileGone",
    "OutputFile",
    "Outputs",
    "PreviewTooLarge",
    "SaveError",
    "Saveable",
    "Saved",
    "TextOutput",
    "data_url_type",
    "decode_data_url",
    "describe_item",
    "export_cli",
    "export_curl",
    "export_python",
    "file_name_for",
    "find_outputs",
    "find_saveables",
    "find_text_outputs",
    "find_texts",
    "human_size",
    "is_data_url",
    "kind_of",
    "reserve",
    "safe_name",
    "save_bytes",
    "url_file_name",
]


__getattr__ = lazy_names(__name__, _WHERE)
