"""Model input/output schemas and the one input pipeline every submit goes through.

The public face of the schema layer (fal-protocol.md §10); the work is split over
``model`` (data types), ``resolve`` (``$ref``/``allOf``), ``parse`` (JSON Schema → fields),
``doc`` (OpenAPI documents), ``input`` (typed text → a value: :func:`coerce`, :func:`read`,
hints), ``files`` (URL-or-local-path rules), ``params`` (``k=v`` items → an input),
``validate`` (``validate``, ``check_value``, ``defaults``), ``prepare`` (the gate:
:func:`prepare` → :class:`PreparedInput`) and ``rows`` (printable listings).
"""

from __future__ import annotations

from faltui.core.schema.doc import find_input_schema, find_output_schema, parse_openapi
from faltui.core.schema.files import file_problem, local_path, read_file_ref
from faltui.core.schema.input import (
    EMPTY,
    bounds_hint,
    coerce,
    default_value,
    is_empty,
    kind_hint,
    read,
    value_text,
)
from faltui.core.schema.model import KINDS, EndpointSchema, Field, FieldRow, walk_fields
from faltui.core.schema.params import parse_params
from faltui.core.schema.prepare import PreparedInput, prepare, problems
from faltui.core.schema.resolve import Resolver
from faltui.core.schema.rows import default_text, field_rows, type_label
from faltui.core.schema.validate import check_value, defaults, validate
from faltui.core.schema.wording import close_matches, show_values

__all__ = [
    "EMPTY",
    "KINDS",
    "EndpointSchema",
    "Field",
    "FieldRow",
    "PreparedInput",
    "Resolver",
    "bounds_hint",
    "check_value",
    "close_matches",
    "coerce",
    "default_text",
    "default_value",
    "defaults",
    "field_rows",
    "file_problem",
    "find_input_schema",
    "find_output_schema",
    "is_empty",
    "kind_hint",
    "local_path",
    "parse_openapi",
    "parse_params",
    "prepare",
    "problems",
    "read",
    "read_file_ref",
    "show_values",
    "type_label",
    "validate",
    "value_text",
    "walk_fields",
]
