"""Getting results out: what a result holds, saving it, previewing it, exporting a job.

- ``find``: the files (``OutputFile``) and texts (``TextOutput``) of a result; file names.
- ``data_url``: ``data:`` URLs decoded to their exact bytes.
- ``save``: one ``O_EXCL`` reservation per saved file (never overwrite, no race).
- ``fetch``: keyless HTTP for file hosts, failures in words, a capped read for previews.
- ``record``: which output was saved where (so it is not fetched twice).
- ``service``: ``Outputs`` — download, download_all (with progress), preview; used by the
  CLI and the TUI alike.
- ``export``: curl / Python / faltui commands that repeat a job.
"""

from faltui.core.outputs.data_url import DataUrlError, data_url_type, decode_data_url, is_data_url
from faltui.core.outputs.export import export_cli, export_curl, export_python
from faltui.core.outputs.fetch import DownloadError, FileGone, PreviewTooLarge
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
