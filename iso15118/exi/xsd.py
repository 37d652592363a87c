"""Minimal XML Schema 1.0 reader: just the components EXI grammar building needs (XSD Part 1 §3).

Reads a schema file and everything it imports/includes into a :class:`SchemaSet` of element
declarations, complex/simple type definitions and attribute uses.  Constructs the vendored
ISO 15118-2 / AppProtocol / xmldsig schemas do not use (groups, attribute groups, ``xs:all`` with
elements of other namespaces, redefine, ...) raise :class:`SchemaError` instead of being guessed.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from iso15118.exi.errors import SchemaError

__all__ = [
    "XS",
    "QName",
    "SimpleType",
    "AttributeUse",
    "Particle",
    "ElementDecl",
    "ComplexType",
    "SchemaSet",
    "load_schema_set",
]

XS = "http://www.w3.org/2001/XMLSchema"
UNBOUNDED = -1

QName = tuple[str, str]  # (namespace uri, local name)


@dataclass(eq=False)
class SimpleType:
    name: QName | None
    base: QName | None = None  # restriction base (None for a built-in)
    base_inline: SimpleType | None = None
    facets: dict[str, str] = field(default_factory=dict)
    enumeration: list[str] | None = None
    variety: str = "atomic"  # atomic | list | union


@dataclass(eq=False)
class AttributeUse:
    qname: QName
    type_name: QName | None
    type_inline: SimpleType | None
    required: bool


@dataclass(eq=False)
class Particle:
    kind: str  # element | sequence | choice | any
    min_occurs: int
    max_occurs: int  # UNBOUNDED for "unbounded"
    element: ElementDecl | None = None
    children: list[Particle] = field(default_factory=list)
    namespace: str = "##any"  # wildcards only


@dataclass(eq=False)
class ElementDecl:
    qname: QName
    type_name: QName | None
    type_inline: ComplexType | SimpleType | None
    is_global: bool
    abstract: bool = False
    nillable: bool = False
    substitution_head: QName | None = None


@dataclass(eq=False)
class ComplexType:
    name: QName | None
    abstract: bool = False
    mixed: bool = False
    derivation: str | None = None  # extension | restriction (of complexContent / simpleContent)
    base: QName | None = None
    simple_content: bool = False
    simple_inline: SimpleType | None = None  # facets of a simpleContent restriction
    particle: Particle | None = None  # own particle (before adding the base's content)
    attributes: list[AttributeUse] = field(default_factory=list)
    any_attribute: bool = False


@dataclass
class SchemaSet:
    elements: dict[QName, ElementDecl] = field(default_factory=dict)  # global element declarations
    complex_types: dict[QName, ComplexType] = field(default_factory=dict)
    simple_types: dict[QName, SimpleType] = field(default_factory=dict)
    local_elements: list[ElementDecl] = field(default_factory=list)  # every local declaration, document order
    anonymous_types: list[ComplexType] = field(default_factory=list)


def _occurs(node: ET.Element, attr: str) -> int:
    raw = node.get(attr, "1")
    if raw == "unbounded":
        return UNBOUNDED
    return int(raw)


class _Reader:
    """Reads one schema document; ``ns`` maps prefixes of that document to URIs."""

    def __init__(self, out: SchemaSet, root: ET.Element, ns: dict[str, str]) -> None:
        self.out = out
        self.ns = ns
        self.target = root.get("targetNamespace", "")
        self.elem_qualified = root.get("elementFormDefault", "unqualified") == "qualified"
        self.attr_qualified = root.get("attributeFormDefault", "unqualified") == "qualified"

    def resolve(self, text: str) -> QName:
        prefix, _, local = text.rpartition(":")
        if prefix not in self.ns and prefix:
            raise SchemaError(f"unknown namespace prefix in {text!r}")
        return (self.ns.get(prefix, ""), local)

    def read_top(self, root: ET.Element) -> None:
        for node in root:
            tag = _tag(node)
            if tag == "element":
                decl = self.element(node, is_global=True)
                self.out.elements[decl.qname] = decl
            elif tag == "complexType":
                ct = self.complex_type(node)
                assert ct.name is not None
                self.out.complex_types[ct.name] = ct
            elif tag == "simpleType":
                st = self.simple_type(node)
                assert st.name is not None
                self.out.simple_types[st.name] = st
            elif tag in ("import", "include", "annotation", ""):
                continue
            else:
                raise SchemaError(f"unsupported top-level schema component xs:{tag}")

    def element(self, node: ET.Element, is_global: bool) -> ElementDecl:
        name = node.get("name")
        if name is None:
            raise SchemaError("element without name (ref handled by the caller)")
        if is_global:
            uri = self.target
        else:
            form = node.get("form")
            qualified = self.elem_qualified if form is None else form == "qualified"
            uri = self.target if qualified else ""
        inline: ComplexType | SimpleType | None = None
        for child in node:
            tag = _tag(child)
            if tag == "complexType":
                inline = self.complex_type(child)
                self.out.anonymous_types.append(inline)
            elif tag == "simpleType":
                inline = self.simple_type(child)
        type_attr = node.get("type")
        head = node.get("substitutionGroup")
        decl = ElementDecl(
            qname=(uri, name),
            type_name=self.resolve(type_attr) if type_attr else None,
            type_inline=inline,
            is_global=is_global,
            abstract=node.get("abstract") == "true",
            nillable=node.get("nillable") == "true",
            substitution_head=self.resolve(head) if head else None,
        )
        if decl.type_name is None and inline is None:
            raise SchemaError(f"element {name} without a type (xs:anyType is not supported)")
        if not is_global:
            self.out.local_elements.append(decl)
        return decl

    def complex_type(self, node: ET.Element) -> ComplexType:
        name = node.get("name")
        ct = ComplexType(
            name=(self.target, name) if name else None,
            abstract=node.get("abstract") == "true",
            mixed=node.get("mixed") == "true",
        )
        self._complex_body(ct, node)
        return ct

    def _complex_body(self, ct: ComplexType, node: ET.Element) -> None:
        for child in node:
            tag = _tag(child)
            if tag in ("sequence", "choice"):
                ct.particle = self.particle(child)
            elif tag == "attribute":
                ct.attributes.append(self.attribute(child))
            elif tag == "anyAttribute":
                ct.any_attribute = True
            elif tag in ("complexContent", "simpleContent"):
                ct.simple_content = tag == "simpleContent"
                if child.get("mixed") == "true":
                    ct.mixed = True
                for deriv in child:
                    dtag = _tag(deriv)
                    if dtag not in ("extension", "restriction"):
                        continue
                    ct.derivation = dtag
                    base = deriv.get("base")
                    if base is None:
                        raise SchemaError("derivation without base")
                    ct.base = self.resolve(base)
                    if ct.simple_content and dtag == "restriction":
                        ct.simple_inline = self._restriction(SimpleType(name=None), deriv)
                    self._complex_body(ct, deriv)
            elif tag in ("annotation", "", "enumeration", "minLength", "maxLength", "length", "minInclusive",
                         "maxInclusive", "minExclusive", "maxExclusive", "simpleType"):
                continue  # facets of a simpleContent restriction are read by _restriction
            else:
                raise SchemaError(f"unsupported complex type content xs:{tag}")

    def attribute(self, node: ET.Element) -> AttributeUse:
        name = node.get("name")
        if name is None:
            raise SchemaError("attribute references are not supported")
        if node.get("use") == "prohibited":
            raise SchemaError("prohibited attributes are not supported")
        form = node.get("form")
        qualified = self.attr_qualified if form is None else form == "qualified"
        inline = None
        for child in node:
            if _tag(child) == "simpleType":
                inline = self.simple_type(child)
        type_attr = node.get("type")
        return AttributeUse(
            qname=(self.target if qualified else "", name),
            type_name=self.resolve(type_attr) if type_attr else (None if inline else (XS, "anySimpleType")),
            type_inline=inline,
            required=node.get("use") == "required",
        )

    def particle(self, node: ET.Element) -> Particle:
        tag = _tag(node)
        lo, hi = _occurs(node, "minOccurs"), _occurs(node, "maxOccurs")
        if tag == "element":
            ref = node.get("ref")
            if ref is not None:
                qname = self.resolve(ref)
                # A reference to a global declaration; resolved lazily by the grammar builder.
                decl = ElementDecl(qname=qname, type_name=None, type_inline=None, is_global=True)
                return Particle("ref", lo, hi, element=decl)
            return Particle("element", lo, hi, element=self.element(node, is_global=False))
        if tag in ("sequence", "choice"):
            kids = [self.particle(c) for c in node if _tag(c) not in ("annotation", "")]
            return Particle(tag, lo, hi, children=kids)
        if tag == "any":
            return Particle("any", lo, hi, namespace=node.get("namespace", "##any"))
        raise SchemaError(f"unsupported particle xs:{tag}")

    def simple_type(self, node: ET.Element) -> SimpleType:
        name = node.get("name")
        st = SimpleType(name=(self.target, name) if name else None)
        for child in node:
            tag = _tag(child)
            if tag == "restriction":
                self._restriction(st, child)
            elif tag == "list":
                st.variety = "list"
            elif tag == "union":
                st.variety = "union"
        return st

    def _restriction(self, st: SimpleType, node: ET.Element) -> SimpleType:
        base = node.get("base")
        if base is not None:
            st.base = self.resolve(base)
        for facet in node:
            tag = _tag(facet)
            if tag == "simpleType":
                st.base_inline = self.simple_type(facet)
            elif tag == "enumeration":
                if st.enumeration is None:
                    st.enumeration = []
                st.enumeration.append(facet.get("value", ""))
            elif tag in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive",
                         "length", "minLength", "maxLength"):
                st.facets[tag] = facet.get("value", "")
            elif tag in ("whiteSpace", "annotation", "", "attribute", "anyAttribute", "sequence", "choice"):
                continue
            else:  # e.g. pattern: it changes the EXI string representation (restricted charset, EXI 1.0 §7.1.10)
                raise SchemaError(f"unsupported facet xs:{tag}")
        return st


def _tag(node: ET.Element) -> str:
    tag = node.tag
    if not isinstance(tag, str):
        return ""  # comments / processing instructions
    uri, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if uri != XS:
        raise SchemaError(f"unexpected non-XSD node {tag}")
    return local


def _parse(path: str) -> tuple[ET.Element, dict[str, str]]:
    ns: dict[str, str] = {}
    root: ET.Element | None = None
    for event, item in ET.iterparse(path, events=("start-ns", "start")):
        if event == "start-ns":
            prefix, uri = item
            ns.setdefault(prefix, uri)
        elif root is None:
            root = item
    if root is None:
        raise SchemaError(f"empty schema document {path}")
    return root, ns


def load_schema_set(path: str) -> SchemaSet:
    """Load ``path`` and, transitively, every schema it imports or includes (each file once)."""
    out = SchemaSet()
    seen: set[str] = set()
    todo = [os.path.abspath(path)]
    while todo:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        root, ns = _parse(current)
        if _tag(root) != "schema":
            raise SchemaError(f"{current} is not an XML Schema")
        _Reader(out, root, ns).read_top(root)
        for node in root:
            if _tag(node) in ("import", "include") and node.get("schemaLocation"):
                todo.append(os.path.normpath(os.path.join(os.path.dirname(current), node.get("schemaLocation", ""))))
    return out
