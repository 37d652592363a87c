"""Grammar compiler: XSD schema set -> EXI schema-informed grammars (EXI 1.0 §8.5), as plain tables.

Compiled tables (plain tuples/lists/dicts, picklable):

* ``grammars[gi]`` is ``(SIMPLE, dt)`` for a simple-typed element, ``(COMPLEX, states, name, keys)`` for
  a complex type (§8.5.4.1.3; ``keys``: every JSON key it knows), or ``(RELAXED, qname_attrs, name)``
  for an element qname declared with several types inside an EXI fragment (the relaxed Element
  Fragment grammar, §8.5.3).
* a state is ``(width, productions)``; ``productions[code]`` is ``(kind, key, target, arg)`` with
  ``kind`` AT / SE / SE_ANY / EE / CH, ``key`` the JSON key (local name, or ``"value"`` for CH),
  ``arg`` the datatype (AT, CH) or ``(child gi, is_list)`` (SE).
* non-strict (§8.5.4.4): every element-grammar state also has second-level productions, so the first
  part of an event code is ``ceil(log2(n + 1))`` bits wide for ``n`` first-level productions.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from iso15118.exi.content import EPS, WILDCARD, Leaf, Term, alt, automaton, leaf, rep, seq
from iso15118.exi.datatypes import UNTYPED_STRING, DatatypeResolver, _nbits
from iso15118.exi.errors import SchemaError
from iso15118.exi.xsd import UNBOUNDED, XS, AttributeUse, ComplexType, ElementDecl, Particle, QName, SchemaSet

__all__ = ["AT", "SE", "SE_ANY", "EE", "CH", "CH_MIXED", "SIMPLE", "COMPLEX", "RELAXED", "Tables", "compile_schema_set"]

AT, SE, SE_ANY, EE, CH, CH_MIXED = range(6)
SIMPLE, COMPLEX, RELAXED = range(3)


def _sort_key(q: QName) -> tuple[str, str]:
    """EXI orders qnames by local name, then namespace URI (§8.5.4.3, §8.5.1)."""
    return (q[1], q[0])


@dataclass
class Tables:
    grammars: list[tuple[Any, ...]] = field(default_factory=list)
    # document grammar (§8.5.1): SE(G_i) for the sorted global elements, then SE(*); no 2nd level
    doc_width: int = 0
    doc_roots: list[tuple[str, int]] = field(default_factory=list)  # (local name, gi) by event code
    # fragment grammar (§8.5.2): SE(F_i) for every element qname, SE(*), ED
    frag_width: int = 0
    frag_roots: list[tuple[str, int]] = field(default_factory=list)
    # relaxed element fragment grammar (§8.5.3): shared by every RELAXED grammar
    relaxed_attrs: list[tuple[str, Any]] = field(default_factory=list)  # (local name, dt) for A_0..A_n-1
    relaxed_elements: list[tuple[str, int]] = field(default_factory=list)  # (local name, gi) for F_0..F_m-1


class _Builder:
    def __init__(self, schema: SchemaSet, include_abstract: bool) -> None:
        self.schema = schema
        self.dts = DatatypeResolver(schema)
        self.include_abstract = include_abstract
        self.tables = Tables()
        self._by_type: dict[Hashable, int] = {}
        self._attr_decls: dict[QName, list[AttributeUse]] = {}  # every attribute qname -> its uses
        self._members: dict[QName, list[ElementDecl]] = {}
        for decl in schema.elements.values():
            head = decl.substitution_head
            while head is not None:
                self._members.setdefault(head, []).append(decl)
                parent = schema.elements.get(head)
                head = parent.substitution_head if parent else None

    # --- element and type grammars ---

    def global_decl(self, qname: QName) -> ElementDecl:
        decl = self.schema.elements.get(qname)
        if decl is None:
            raise SchemaError(f"reference to unknown global element {qname}")
        return decl

    def grammar_of(self, decl: ElementDecl) -> int:
        if decl.type_inline is not None:
            key: Hashable = id(decl.type_inline)
        elif decl.type_name is not None:
            key = decl.type_name
        else:
            raise SchemaError(f"element {decl.qname} has no type")
        gi = self._by_type.get(key)
        if gi is not None:
            return gi
        gi = len(self.tables.grammars)
        self._by_type[key] = gi
        self.tables.grammars.append(())  # placeholder: recursion through the type's own content
        inline = decl.type_inline
        if isinstance(inline, ComplexType):
            self.tables.grammars[gi] = self.complex_grammar(inline)
        elif inline is not None:
            self.tables.grammars[gi] = (SIMPLE, self.dts.of(inline))
        else:
            assert decl.type_name is not None
            ct = self.schema.complex_types.get(decl.type_name)
            if ct is not None:
                self.tables.grammars[gi] = self.complex_grammar(ct)
            else:
                self.tables.grammars[gi] = (SIMPLE, self.dts.by_name(decl.type_name))
        return gi

    def _effective(self, ct: ComplexType) -> tuple[list[AttributeUse], Particle | None, Any, bool]:
        """Attribute uses, content particle, simple content datatype, mixed: base type first (XSD §3.4.2)."""
        attrs = list(ct.attributes)
        particle = ct.particle
        simple: Any = None
        if ct.base is not None:
            base_ct = self.schema.complex_types.get(ct.base)
            if ct.derivation != "extension":
                raise SchemaError(f"complex type {ct.name}: only extension is supported")
            if base_ct is not None:
                b_attrs, b_particle, b_simple, _ = self._effective(base_ct)
                attrs = b_attrs + attrs
                simple = b_simple
                if b_particle is not None:
                    if particle is not None:
                        b_particle = Particle("sequence", 1, 1, children=[b_particle, particle])
                    particle = b_particle
            elif ct.simple_content:
                simple = self.dts.by_name(ct.base)
            else:
                raise SchemaError(f"complex type {ct.name}: unknown base {ct.base}")
        if ct.any_attribute:
            raise SchemaError(f"complex type {ct.name}: attribute wildcards are not supported")
        return attrs, particle, simple, ct.mixed

    def complex_grammar(self, ct: ComplexType) -> tuple[Any, ...]:
        attrs, particle, simple, mixed = self._effective(ct)
        attrs = sorted(attrs, key=lambda a: _sort_key(a.qname))
        label = ct.name[1] if ct.name else "(anonymous)"
        keys: dict[str, Hashable] = {}

        def claim(key: str, owner: Hashable) -> None:
            if keys.setdefault(key, owner) != owner:
                raise SchemaError(f"type {label}: JSON key {key!r} would be ambiguous")

        # content states: (list of (kind, key, target, arg)), relative to the first content state
        content: list[list[tuple[Any, ...]]] = []
        if simple is not None:
            claim("value", "CH")
            content = [[(CH, "value", 1, simple)], [(EE, None, -1, None)]]
        else:
            leaves: list[Leaf] = []
            decls: dict[QName, ElementDecl] = {}
            root = self._term(particle, leaves, decls) if particle is not None else EPS
            counts = self._max_counts(particle) if particle is not None else {}
            for qname in decls:
                claim(qname[1], qname)
            for moves, can_end in automaton(root, leaves):
                prods: list[tuple[Any, ...]] = []
                for name, target in moves:
                    if name == WILDCARD:
                        prods.append((SE_ANY, None, target, None))
                    else:
                        assert isinstance(name, tuple)
                        decl = decls[name]
                        prods.append((SE, name[1], target, (self.grammar_of(decl), counts.get(name, 1) != 1)))
                if can_end:
                    prods.append((EE, None, -1, None))
                if mixed:
                    claim("value", "CH")
                    prods.append((CH_MIXED, "value", len(content), UNTYPED_STRING))
                content.append(prods)
        offset = len(attrs)
        states: list[list[tuple[Any, ...]]] = [
            [(k, key, t + offset if t >= 0 else t, arg) for (k, key, t, arg) in prods] for prods in content
        ]
        # §8.5.4.1.3.1 attribute uses, sorted; an optional one may be skipped (its grammar accepts EE).
        following = states[0] if states else []
        attr_states: list[list[tuple[Any, ...]]] = []
        for i in reversed(range(len(attrs))):
            use = attrs[i]
            claim(use.qname[1], use.qname)
            dt = self.dts.of(use.type_inline) if use.type_inline is not None else self.dts.by_name(
                use.type_name or (XS, "string"))
            prods = [(AT, use.qname[1], i + 1, dt)]
            if not use.required:
                prods += following
            attr_states.insert(0, prods)
            following = prods
        final = [(_nbits(len(p) + 1), tuple(p)) for p in attr_states + states]
        return (COMPLEX, final, label, frozenset(keys))

    def _term(self, p: Particle, leaves: list[Leaf], decls: dict[QName, ElementDecl]) -> Term:
        if p.kind in ("element", "ref"):
            assert p.element is not None
            decl = self.global_decl(p.element.qname) if p.kind == "ref" else p.element
            members = [decl] + self._members.get(decl.qname, [])
            if not self.include_abstract:
                members = [m for m in members if not m.abstract]
            members.sort(key=lambda m: _sort_key(m.qname))
            for m in members:
                known = decls.setdefault(m.qname, m)
                if known is not m and self._type_key(known) != self._type_key(m):
                    raise SchemaError(f"element {m.qname} declared twice with different types in one content model")
            leaves.append(Leaf(len(leaves), tuple(m.qname for m in members)))
            body = leaf(len(leaves) - 1)
        elif p.kind == "any":
            leaves.append(Leaf(len(leaves), (WILDCARD,)))
            body = leaf(len(leaves) - 1)
        elif p.kind == "sequence":
            body = seq([self._term(c, leaves, decls) for c in p.children])
        else:
            kids = [self._term(c, leaves, decls) for c in p.children]
            body = alt(kids) if kids else EPS
        return rep(body, p.min_occurs, p.max_occurs)

    def _max_counts(self, p: Particle) -> dict[QName, int]:
        """How often each child qname may occur (-1: unbounded); > 1 means a JSON list."""
        if p.kind in ("element", "ref"):
            assert p.element is not None
            decl = self.global_decl(p.element.qname) if p.kind == "ref" else p.element
            own = {m.qname: 1 for m in [decl] + self._members.get(decl.qname, [])}
        elif p.kind == "any":
            own = {}
        else:
            own = {}
            for child in p.children:
                for q, n in self._max_counts(child).items():
                    if p.kind == "sequence" and q in own:
                        own[q] = -1 if -1 in (own[q], n) else own[q] + n
                    else:
                        own[q] = -1 if -1 in (own.get(q, 0), n) else max(own.get(q, 0), n)
        factor = p.max_occurs
        return {q: (-1 if UNBOUNDED in (n, factor) else n * factor) for q, n in own.items()}

    @staticmethod
    def _type_key(decl: ElementDecl) -> Hashable:
        """Same *named* type (and nillable) means the same grammar (§8.5.2); anonymous types never match."""
        if decl.type_inline is not None or decl.type_name is None:
            return ("anonymous", id(decl))
        return (decl.type_name, decl.nillable)

    # --- document and fragment grammars ---

    def build(self) -> Tables:
        t = self.tables
        roots = sorted(self.schema.elements.values(), key=lambda d: _sort_key(d.qname))
        t.doc_roots = [(d.qname[1], self.grammar_of(d)) for d in roots]
        t.doc_width = _nbits(len(roots) + 1)  # + SE(*); DT/CM/PI pruned (no fidelity options)
        by_qname: dict[QName, list[ElementDecl]] = {}
        for d in list(self.schema.elements.values()) + self.schema.local_elements:
            by_qname.setdefault(d.qname, []).append(d)
        for ct in list(self.schema.complex_types.values()) + self.schema.anonymous_types:
            for use in self._effective(ct)[0]:
                self._attr_decls.setdefault(use.qname, []).append(use)
        qnames = sorted(by_qname, key=_sort_key)
        relaxed: dict[QName, int] = {}
        frag: list[tuple[str, int]] = []
        for q in qnames:
            decls = by_qname[q]
            if len({self._type_key(d) for d in decls}) == 1:
                frag.append((q[1], self.grammar_of(decls[0])))
            else:
                relaxed[q] = len(t.grammars)
                t.grammars.append((RELAXED, self._relaxed_attr_map(decls), q[1]))
                frag.append((q[1], relaxed[q]))
        t.frag_roots = frag
        t.frag_width = _nbits(len(frag) + 2)  # + SE(*) + ED
        t.relaxed_elements = frag
        attr_qnames = sorted(self._attr_decls, key=_sort_key)
        attr_index = {q: i for i, q in enumerate(attr_qnames)}
        for q in attr_qnames:
            uses = self._attr_decls[q]
            dts = {repr(self._attr_dt(u)) for u in uses}
            dt = self._attr_dt(uses[0]) if len(dts) == 1 else UNTYPED_STRING
            t.relaxed_attrs.append((q[1], dt))
        # resolve the relaxed grammars' attribute maps (local name -> index in A_0..A_n-1)
        for gi in relaxed.values():
            kind, names, label = t.grammars[gi]
            t.grammars[gi] = (kind, {local: attr_index[aq] for local, aq in names.items()}, label)
        return t

    def _attr_dt(self, use: AttributeUse) -> Any:
        if use.type_inline is not None:
            return self.dts.of(use.type_inline)
        return self.dts.by_name(use.type_name or (XS, "string"))

    def _relaxed_attr_map(self, decls: list[ElementDecl]) -> dict[str, QName]:
        out: dict[str, QName] = {}
        for d in decls:
            ct: ComplexType | None = None
            if isinstance(d.type_inline, ComplexType):
                ct = d.type_inline
            elif d.type_name is not None:
                ct = self.schema.complex_types.get(d.type_name)
            if ct is not None:
                for use in self._effective(ct)[0]:
                    if out.setdefault(use.qname[1], use.qname) != use.qname:
                        raise SchemaError(f"relaxed element {d.qname}: ambiguous attribute {use.qname[1]}")
        return out


def compile_schema_set(schema: SchemaSet, include_abstract: bool = True) -> Tables:
    """``include_abstract``: an abstract substitution-group head keeps its own SE production, as EXIficient
    and libcbv2g do (BodyElement sits between AuthorizationRes and CableCheckReq in every golden vector)."""
    return _Builder(schema, include_abstract).build()
