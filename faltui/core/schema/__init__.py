"""Model input/output schemas: parse fal OpenAPI documents, type CLI values, validate.

The public face of the schema layer (fal-protocol.md §10); the work is split over
``model`` (data types), ``resolve`` (``$ref``/``allOf``), ``parse`` (JSON Schema → fields),
``doc`` (OpenAPI documents), ``coerce`` (text → values, ``parse_params``), ``validate``
(``validate``, ``defaults``) and ``rows`` (printable listings).
"""

from __future__ import annotations

from faltui.core.schema.coerce import close_matches, coerce, parse_params
from faltui.core.schema.doc import find_input_schema, find_output_schema, parse_openapi
from faltui.core.schema.model import KINDS, EndpointSchema, Field, FieldRow
from faltui.core.schema.resolve import Resolver
from faltui.core.schema.rows import default_text, field_rows, type_label
from faltui.core.schema.validate import check_value, defaults, validate

__all__ = [
    "KINDS",
    "EndpointSchema",
    "Field",
    "FieldRow",
    "Resolver",
    "check_value",
    "close_matches",
    "coerce",
    "default_text",
    "defaults",
    "field_rows",
    "find_input_schema",
    "find_output_schema",
    "parse_openapi",
    "parse_params",
    "type_label",
    "validate",
]
