"""Map XSD simple types to EXI datatype representations (EXI 1.0 §7.1, Table 7-1, and §7.2 enumerations)."""

from __future__ import annotations

from typing import Any

from iso15118.exi.bitio import BASE64, BOOL, ENUM, HEX, INT, NBIT, STRING, UINT
from iso15118.exi.errors import SchemaError
from iso15118.exi.xsd import XS, QName, SchemaSet, SimpleType

__all__ = ["DatatypeResolver", "UNTYPED_STRING"]

UNTYPED_STRING: tuple[Any, ...] = (STRING, None, None)

# Built-in integer types and their value space bounds (XSD Part 2 §3.3).
_INTEGERS: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}
_STRINGS = {
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "ID", "IDREF",
    "ENTITY", "anyURI", "anySimpleType", "QName",
}
# EXI 1.0 §7.1.9: bounded integer ranges of at most 4096 values use the n-bit unsigned representation.
_NBIT_LIMIT = 4096


def _nbits(count: int) -> int:
    """ceil(log2(count)): bits needed for ``count`` distinct values (0 when there is only one)."""
    return (count - 1).bit_length()


class DatatypeResolver:
    """Resolves (and caches) the EXI datatype tuple of named and anonymous simple types."""

    def __init__(self, schema: SchemaSet) -> None:
        self.schema = schema
        self._named: dict[QName, tuple[Any, ...]] = {}

    def by_name(self, name: QName) -> tuple[Any, ...]:
        cached = self._named.get(name)
        if cached is None:
            cached = self._build(self._chain_of_name(name))
            self._named[name] = cached
        return cached

    def of(self, st: SimpleType) -> tuple[Any, ...]:
        if st.name is not None:
            return self.by_name(st.name)
        return self._build([st, *self._chain_of(st)])

    def _chain_of_name(self, name: QName) -> list[SimpleType]:
        if name[0] == XS:
            return [SimpleType(name=name)]
        st = self.schema.simple_types.get(name)
        if st is None:
            raise SchemaError(f"unknown simple type {name}")
        return [st, *self._chain_of(st)]

    def _chain_of(self, st: SimpleType) -> list[SimpleType]:
        if st.variety != "atomic":
            raise SchemaError(f"{st.variety} simple types are not supported")
        if st.base_inline is not None:
            return [st.base_inline, *self._chain_of(st.base_inline)]
        if st.base is None:
            if st.name is not None and st.name[0] == XS:
                return []
            raise SchemaError("simple type without base")
        return self._chain_of_name(st.base)

    def _build(self, chain: list[SimpleType]) -> tuple[Any, ...]:
        """``chain`` runs from the most derived type to the built-in; the nearest facet wins."""
        builtin = chain[-1].name
        if builtin is None or builtin[0] != XS:
            raise SchemaError("simple type does not derive from a built-in type")
        facets: dict[str, str] = {}
        enumeration: list[str] | None = None
        for st in chain:
            for key, val in st.facets.items():
                facets.setdefault(key, val)
            if enumeration is None and st.enumeration is not None:
                enumeration = st.enumeration
        base = builtin[1]
        if enumeration is not None:
            if base not in _STRINGS:
                raise SchemaError(f"enumerations of {base} are not supported")
            values = tuple(enumeration)
            return (ENUM, _nbits(len(values)), values, {v: i for i, v in enumerate(values)})
        min_len, max_len = _lengths(facets)
        if base in _STRINGS:
            return (STRING, min_len, max_len)
        if base == "boolean":
            return (BOOL,)
        if base == "base64Binary":
            return (BASE64, min_len, max_len)
        if base == "hexBinary":
            return (HEX, min_len, max_len)
        if base in _INTEGERS:
            return _integer(base, facets)
        raise SchemaError(f"built-in type xs:{base} is not supported")


def _lengths(facets: dict[str, str]) -> tuple[int | None, int | None]:
    if "length" in facets:
        n = int(facets["length"])
        return n, n
    lo = facets.get("minLength")
    hi = facets.get("maxLength")
    return (int(lo) if lo is not None else None, int(hi) if hi is not None else None)


def _integer(base: str, facets: dict[str, str]) -> tuple[Any, ...]:
    lo, hi = _INTEGERS[base]
    if "minInclusive" in facets:
        lo = int(facets["minInclusive"]) if lo is None else max(lo, int(facets["minInclusive"]))
    if "minExclusive" in facets:
        lo = int(facets["minExclusive"]) + 1 if lo is None else max(lo, int(facets["minExclusive"]) + 1)
    if "maxInclusive" in facets:
        hi = int(facets["maxInclusive"]) if hi is None else min(hi, int(facets["maxInclusive"]))
    if "maxExclusive" in facets:
        hi = int(facets["maxExclusive"]) - 1 if hi is None else min(hi, int(facets["maxExclusive"]) - 1)
    if lo is not None and hi is not None and hi - lo + 1 <= _NBIT_LIMIT:
        return (NBIT, _nbits(hi - lo + 1), lo, hi)
    if lo is not None and lo >= 0:
        return (UINT, lo, hi)
    return (INT, lo, hi)
