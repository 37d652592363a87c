"""EXI body encoder and decoder over compiled grammar tables (EXI 1.0 §6, §8).

The encoder walks the element grammar and, in each state, takes the first production (in event-code
order) that the tree can satisfy; it never emits second-level (deviation) events, so a tree the grammar
cannot express is refused with the path of the offending element.  The decoder rejects deviations too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iso15118.exi.bitio import BASE64, HEX, STRING, BitReader, BitWriter, ValueError_, decode_value, encode_value
from iso15118.exi.datatypes import UNTYPED_STRING
from iso15118.exi.errors import ExiDecodeError, ExiEncodeError
from iso15118.exi.grammar import AT, CH, CH_MIXED, EE, RELAXED, SE, SIMPLE, Tables

__all__ = ["encode_body", "decode_body", "HEADER"]

# EXI 1.0 §5: distinguishing bits 10, no options, version 1 (0 0000) -> exactly one octet 0x80.
HEADER = 0x80
_MAX_DEPTH = 64  # deeper than any ISO 15118-2 / xmldsig content; bounds the relaxed (recursive) grammar
# An empty string/binary value has no CH event in the XML infoset: EXIficient (and so every golden vector,
# e.g. V2Gdecoder's empty SignatureValue) encodes EE from the start-tag state as a second-level event.
# Start-tag states have 7 (first) or 5 (others) second-level productions with EE first: 3 bits, code 0
# (EXI 1.0 §8.5.4.4.1).
_EMPTY_KINDS = (STRING, BASE64, HEX)
_EE2_WIDTH = 3


class _PathError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.parts: list[str] = []

    def with_part(self, part: str) -> _PathError:
        self.parts.append(part)
        return self


class _Encoder:
    __slots__ = ("g", "w", "check_min", "t")

    def __init__(self, tables: Tables, check_min: bool) -> None:
        self.t = tables
        self.g = tables.grammars
        self.w = BitWriter()
        self.check_min = check_min

    def element(self, gi: int, value: Any) -> None:
        grammar = self.g[gi]
        kind = grammar[0]
        w = self.w
        if kind == SIMPLE:
            if value == "" and grammar[1][0] in _EMPTY_KINDS:
                if self.check_min and grammar[1][1]:
                    raise _PathError(f"shorter than minLength {grammar[1][1]} (0)")
                w.write(1, 1)  # escape to the second level: EE (empty content)
                w.write(_EE2_WIDTH, 0)
                return
            w.write(1, 0)  # CH: the only first-level production of a simple type's start state
            self.value(grammar[1], value, None)
            w.write(1, 0)  # EE
            return
        if kind == RELAXED:
            self.relaxed(grammar, value)
            return
        if type(value) is not dict:
            if not isinstance(value, Mapping):
                raise _PathError(f"expected an object, got {type(value).__name__}")
            value = dict(value)
        states = grammar[1]
        total = len(value)
        done = 0
        counters: dict[str, int] | None = None
        used: list[str] = []
        width, prods = states[0]
        while True:
            for code, (pkind, key, target, arg) in enumerate(prods):
                if pkind == SE:
                    if key not in value:
                        continue
                    item = value[key]
                    if arg[1]:
                        if type(item) is not list:
                            raise _PathError(f"expected a list, got {type(item).__name__}").with_part(key)
                        if counters is None:
                            counters = {}
                        n = counters.get(key, 0)
                        if n >= len(item):
                            continue
                        counters[key] = n + 1
                        if n + 1 == len(item):
                            done += 1
                        w.write(width, code)
                        try:
                            self.element(arg[0], item[n])
                        except _PathError as exc:
                            exc.parts.append(f"{key}[{n}]")
                            raise
                    else:
                        done += 1
                        used.append(key)
                        w.write(width, code)
                        try:
                            self.element(arg[0], item)
                        except _PathError as exc:
                            exc.parts.append(key)
                            raise
                elif pkind == AT:
                    if key not in value:
                        continue
                    done += 1
                    used.append(key)
                    w.write(width, code)
                    self.value(arg, value[key], key)
                elif pkind == EE:
                    if done != total and self._leftovers(value, counters, used):
                        continue
                    w.write(width, code)
                    return
                elif pkind == CH:
                    if key not in value:
                        continue
                    done += 1
                    used.append(key)
                    if value[key] == "" and arg[0] in _EMPTY_KINDS:
                        if self.check_min and arg[1]:
                            raise _PathError(f"shorter than minLength {arg[1]} (0)").with_part(key)
                        if done != total:
                            raise self._explain(grammar, (), value, counters, used)
                        w.write(width, len(prods))
                        w.write(_EE2_WIDTH, 0)
                        return
                    w.write(width, code)
                    self.value(arg, value[key], key)
                elif pkind == CH_MIXED:
                    if key not in value or key in used:
                        continue
                    used.append(key)  # one text chunk at most
                    done += 1
                    if value[key] == "":
                        continue
                    w.write(width, code)
                    self.value(arg, value[key], key)
                else:
                    continue  # SE(*): wildcard content has no JSON form
                width, prods = states[target]
                break
            else:
                raise self._explain(grammar, prods, value, counters, used)

    def value(self, dt: tuple[Any, ...], value: Any, key: str | None) -> None:
        """Encode one typed value; a value that does not fit names its attribute/content ``key``."""
        try:
            encode_value(self.w, dt, value, self.check_min)
        except ValueError_ as exc:
            error = _PathError(str(exc))
            raise (error.with_part(key) if key is not None else error) from None

    @staticmethod
    def _leftovers(value: dict[str, Any], counters: dict[str, int] | None, used: list[str]) -> list[str]:
        """Keys not encoded yet (an empty list counts as absent)."""
        left = []
        for key, item in value.items():
            if type(item) is list:
                if len(item) == (counters.get(key, 0) if counters else 0):
                    continue
            elif key in used:
                continue
            left.append(key)
        return left

    def _explain(
        self,
        grammar: tuple[Any, ...],
        prods: tuple[Any, ...],
        value: dict[str, Any],
        counters: dict[str, int] | None,
        used: list[str],
    ) -> _PathError:
        left = self._leftovers(value, counters, used)
        for key in left:
            if key not in grammar[3]:
                return _PathError("unknown element or attribute").with_part(key)
        offered = [p for p in prods if p[0] in (SE, AT, CH)]
        if offered and not any(p[0] == EE for p in prods):
            if len(offered) == 1:
                key = offered[0][1]
                if type(value.get(key)) is list:
                    got = len(value[key])
                    return _PathError(f"fewer items than the schema's minOccurs ({got})").with_part(key)
                what = {SE: "element", AT: "attribute", CH: "content"}[offered[0][0]]
                return _PathError(f"missing required {what}").with_part(key)
            names = ", ".join(repr(p[1]) for p in offered)
            return _PathError(f"missing required element: one of {names}")
        for key in left:
            if type(value[key]) is list and counters and counters.get(key, 0) > 0:
                return _PathError(f"more than {counters[key]} items (schema maxOccurs)").with_part(key)
        if left:
            return _PathError("not allowed here (schema order, or excluded by an earlier choice)").with_part(left[0])
        return _PathError("content does not match the schema")

    def relaxed(self, grammar: tuple[Any, ...], value: Any) -> None:
        """§8.5.3 ElementFragment grammar: attributes (sorted), character content, child elements."""
        if not isinstance(value, Mapping):
            raise _PathError(f"expected an object, got {type(value).__name__}")
        t, w = self.t, self.w
        n_attr, n_elem = len(t.relaxed_attrs), len(t.relaxed_elements)
        width0 = (n_attr + n_elem + 5 - 1).bit_length()
        width1 = (n_elem + 4 - 1).bit_length()
        attr_map = grammar[1]
        for key in sorted((k for k in value if k in attr_map), key=attr_map.__getitem__):
            index = attr_map[key]
            w.write(width0, index)
            self.value(t.relaxed_attrs[index][1], value[key], key)
        others = [k for k in value if k not in attr_map and k != "value"]
        if others:
            raise _PathError(f"unsupported content {others} in a relaxed fragment element")
        if value.get("value", "") != "":  # empty content has no CH event (see _EMPTY_KINDS)
            w.write(width0, n_attr + n_elem + 3)  # CH [untyped value]
            self.value(UNTYPED_STRING, value["value"], "value")
            w.write(width1, n_elem + 1)  # EE in ElementFragment_1
        else:
            w.write(width0, n_attr + n_elem + 2)  # EE in ElementFragment_0


def encode_body(tables: Tables, tree: Mapping[str, Any], fragment: bool, check_min: bool) -> bytes:
    if not isinstance(tree, Mapping) or len(tree) != 1:
        raise ExiEncodeError("", "the tree must have exactly one root element")
    (root, value), = tree.items()
    roots = tables.frag_roots if fragment else tables.doc_roots
    width = tables.frag_width if fragment else tables.doc_width
    code = next((i for i, (name, _) in enumerate(roots) if name == root), None)
    if code is None:
        raise ExiEncodeError(str(root), "not a global element of this grammar" if not fragment else "unknown element")
    enc = _Encoder(tables, check_min)
    enc.w.write(8, HEADER)
    enc.w.write(width, code)
    try:
        enc.element(roots[code][1], value)
    except _PathError as exc:
        exc.parts.append(root)
        raise ExiEncodeError("/".join(reversed(exc.parts)), exc.reason) from None
    except RecursionError:
        raise ExiEncodeError(root, "tree nested too deeply") from None
    if fragment:
        enc.w.write(width, len(roots) + 1)  # ED
    return enc.w.getvalue()


class _Decoder:
    __slots__ = ("g", "r", "t")

    def __init__(self, tables: Tables, data: bytes) -> None:
        self.t = tables
        self.g = tables.grammars
        self.r = BitReader(data)

    def element(self, gi: int, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ExiDecodeError(self.r.pos, "less deeply nested elements", f"depth {depth}")
        grammar = self.g[gi]
        r = self.r
        kind = grammar[0]
        if kind == SIMPLE:
            if r.read(1, "CH event code"):
                return self._empty(grammar[1], r.pos - 1, "CH (event code 0)")
            value = decode_value(r, grammar[1])
            if r.read(1, "EE event code"):
                raise ExiDecodeError(r.pos - 1, "EE (event code 0)", "schema deviation")
            return value
        if kind == RELAXED:
            return self.relaxed(grammar, depth)
        states = grammar[1]
        out: dict[str, Any] = {}
        width, prods = states[0]
        while True:
            start = r.pos
            code = r.read(width, "event code")
            if code >= len(prods):
                ch = next((p for p in prods if p[0] == CH), None)
                if code == len(prods) and ch is not None:
                    out[ch[1]] = self._empty(ch[3], start, _expected(prods))
                    return out
                raise ExiDecodeError(start, _expected(prods), f"event code {code} (undeclared/deviation)")
            pkind, key, target, arg = prods[code]
            if pkind == SE:
                child = self.element(arg[0], depth + 1)
                if arg[1]:
                    lst = out.get(key)
                    if lst is None:
                        out[key] = [child]
                    else:
                        lst.append(child)
                else:
                    out[key] = child
            elif pkind == AT or pkind == CH:
                out[key] = decode_value(r, arg)
            elif pkind == CH_MIXED:
                if key in out:
                    raise ExiDecodeError(start, "element content", "more than one character chunk")
                out[key] = decode_value(r, arg)
            elif pkind == EE:
                return out
            else:
                raise ExiDecodeError(start, _expected(prods), "wildcard (SE(*)) content is not supported")
            width, prods = states[target]

    def _empty(self, dt: tuple[Any, ...], start: int, expected: str) -> str:
        """Second-level EE in place of CH: empty content, valid only for string and binary values."""
        r = self.r
        code2 = r.read(_EE2_WIDTH, "second-level event code")
        if code2 != 0 or dt[0] not in _EMPTY_KINDS:
            raise ExiDecodeError(start, expected, "undeclared/deviation event code")
        return ""

    def relaxed(self, grammar: tuple[Any, ...], depth: int) -> Any:
        t, r = self.t, self.r
        n_attr, n_elem = len(t.relaxed_attrs), len(t.relaxed_elements)
        width0 = (n_attr + n_elem + 5 - 1).bit_length()
        width1 = (n_elem + 4 - 1).bit_length()
        out: dict[str, Any] = {}
        width, first = width0, True
        while True:
            start = r.pos
            code = r.read(width, "event code")
            if first and code < n_attr:
                name, dt = t.relaxed_attrs[code]
                if name in out:
                    raise ExiDecodeError(start, "distinct attributes", f"attribute {name} repeated")
                out[name] = decode_value(r, dt)
                continue
            if first:
                code -= n_attr + 1
                if code == -1:
                    raise ExiDecodeError(start, "a declared attribute", "AT(*) is not supported")
            if code < n_elem:
                name, gi = t.relaxed_elements[code]
                child = self.element(gi, depth + 1)
                prev = out.get(name)
                if prev is None:
                    out[name] = child
                elif isinstance(prev, list):
                    prev.append(child)
                else:
                    out[name] = [prev, child]
            elif code == n_elem + 1:
                return out
            elif code == n_elem + 2:
                if "value" in out:
                    raise ExiDecodeError(start, "EE", "more than one character chunk")
                out["value"] = decode_value(r, UNTYPED_STRING)
            else:
                raise ExiDecodeError(start, "a declared element, EE or CH", f"event code {code}")
            width, first = width1, False


def _expected(prods: tuple[Any, ...]) -> str:
    names = []
    for p in prods:
        names.append({SE: f"SE({p[1]})", AT: f"AT({p[1]})", EE: "EE", CH: "CH"}.get(p[0], "SE(*)"))
    return "one of " + ", ".join(names)


def decode_body(tables: Tables, data: bytes, fragment: bool) -> dict[str, Any]:
    if not data or data[0] != HEADER:
        raise ExiDecodeError(0, "EXI header 0x80", "missing or different header (cookie/options unsupported)")
    dec = _Decoder(tables, data)
    r = dec.r
    r.pos = 8
    roots = tables.frag_roots if fragment else tables.doc_roots
    width = tables.frag_width if fragment else tables.doc_width
    start = r.pos
    code = r.read(width, "root start element")
    if code >= len(roots):
        raise ExiDecodeError(start, f"a schema root element (< {len(roots)})", f"event code {code}")
    name, gi = roots[code]
    out = {name: dec.element(gi, 1)}
    if fragment:
        start = r.pos
        code = r.read(width, "ED")
        if code != len(roots) + 1:
            raise ExiDecodeError(start, "ED after the fragment's element", f"event code {code}")
    if r.end - r.pos >= 8:
        raise ExiDecodeError(r.pos, "end of stream", f"{(r.end - r.pos) // 8} trailing octets")
    return out
