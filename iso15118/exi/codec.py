"""The schema-informed codec: compiles the three vendored grammar sets once, then encodes/decodes trees."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from iso15118.exi import Grammar
from iso15118.exi.coder import decode_body, encode_body
from iso15118.exi.errors import ExiDecodeError, ExiEncodeError, ExiError
from iso15118.exi.grammar import Tables, compile_schema_set
from iso15118.exi.xsd import load_schema_set

__all__ = ["SchemaCodec", "SCHEMA_DIR", "GRAMMAR_SETS"]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

# grammar name -> (schema file of the grammar set, EXI fragment?)
GRAMMAR_SETS: dict[str, tuple[str, bool]] = {
    Grammar.APP_PROTOCOL: ("V2G_CI_AppProtocol.xsd", False),
    Grammar.ISO2: ("iso15118_2/V2G_CI_MsgDef.xsd", False),
    Grammar.ISO2_FRAGMENT: ("iso15118_2/V2G_CI_MsgDef.xsd", True),
    Grammar.XMLDSIG_FRAGMENT: ("xmldsig-core-schema.xsd", True),
}


class SchemaCodec:
    """Pure-Python EXI codec for ISO 15118-2 (bit-packed, non-strict, header 0x80, no value string table).

    Grammar tables are compiled lazily per schema set on first use (about 0.1 s for the ISO-2 set) and
    are read-only afterwards, so one instance can be shared between threads.
    """

    def __init__(self, schema_dir: Path = SCHEMA_DIR) -> None:
        self._schema_dir = schema_dir
        self._tables: dict[str, Tables] = {}
        self._lock = threading.Lock()

    def tables(self, schema_file: str) -> Tables:
        tables = self._tables.get(schema_file)
        if tables is None:
            with self._lock:
                tables = self._tables.get(schema_file)
                if tables is None:
                    tables = compile_schema_set(load_schema_set(str(self._schema_dir / schema_file)))
                    self._tables[schema_file] = tables
        return tables

    def _select(self, grammar: str) -> tuple[Tables, bool] | None:
        entry = GRAMMAR_SETS.get(str(grammar))
        if entry is None:
            return None
        return self.tables(entry[0]), entry[1]

    def encode(self, tree: Mapping[str, Any], grammar: str, *, check_min_length: bool = True) -> bytes:
        """Encode ``tree`` (JSON convention); ``check_min_length=False`` accepts values shorter than the
        XSD minLength/length facets, which EXI does not encode (EXI 1.0 §7.1) and field data violates."""
        selected = self._select(grammar)
        if selected is None:
            raise ExiEncodeError("", f"unknown grammar {grammar!r}")
        try:
            return encode_body(selected[0], tree, selected[1], check_min_length)
        except ExiError:
            raise
        except Exception as exc:  # a tree shape the checks above did not anticipate: still our error type
            raise ExiEncodeError("", f"cannot encode: {type(exc).__name__}: {exc}") from None

    def decode(self, data: bytes, grammar: str) -> dict[str, Any]:
        selected = self._select(grammar)
        if selected is None:
            raise ExiDecodeError(0, f"a known grammar, not {grammar!r}")
        if not isinstance(data, bytes):
            if not isinstance(data, bytearray | memoryview):
                raise ExiDecodeError(0, "bytes", f"got {type(data).__name__}")
            data = bytes(data)
        try:
            return decode_body(selected[0], data, selected[1])
        except ExiError:
            raise
        except RecursionError:
            raise ExiDecodeError(0, "a less deeply nested stream") from None
        except Exception as exc:  # defensive: malformed input must only ever surface as ExiDecodeError
            raise ExiDecodeError(0, "a well-formed stream", f"{type(exc).__name__}: {exc}") from None
