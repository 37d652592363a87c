"""Hypothesis strategies for schema-valid ISO 15118-2 / AppProtocol / xmldsig trees.

Built by a small XSD walker of its own over the vendored schemas (iso15118/schemas), deliberately
independent of the codec's schema model: a cross-check is only worth something if the two sides do
not share their reading of the XSDs.  Trees follow the JSON convention of the EXIficient codec
(pnc-facts §3): root element as the single key, XSD element names, attributes as plain keys, simple
content with attributes as ``{"Id": .., "value": ..}``, elements with maxOccurs > 1 as lists,
base64Binary as base64, hexBinary as upper-case hex, numbers as ints.

What the walker honours (XML Schema 1.0 Part 1/2): sequences, choices, minOccurs/maxOccurs,
complexContent extension, simpleContent extension, abstract elements replaced by the concrete members
of their substitution group (transitively), enumerations, min/maxInclusive, length, min/maxLength,
the value spaces of the built-in types used, required/optional attributes, xs:ID uniqueness.

Not generated, because the JSON convention has no form for them: wildcard (``xs:any``) and mixed
text content.  Types whose content is mixed (the xmldsig method elements) get their attributes only;
``Signature/KeyInfo`` and ``Signature/Object`` (wildcards and mixed content all the way down) are
left out.  Sizes are kept small (see ``Sizes``) so that tests stay fast.
"""

from __future__ import annotations

import base64
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "Sizes", "Profile", "DEFAULT", "JAR_PROFILE", "SCHEMA_DIR", "ISO2_MESSAGES", "APP_PROTOCOL_MESSAGES",
    "FRAGMENT_ROOTS", "JAR_LOOPED_LISTS", "message", "v2g_message", "app_protocol", "fragment", "signed_info",
    "iso_signed_info", "schema_set",
]

XS = "http://www.w3.org/2001/XMLSchema"
NS_BODY = "urn:iso:15118:2:2013:MsgBody"
NS_TYPES = "urn:iso:15118:2:2013:MsgDataTypes"
NS_DEF = "urn:iso:15118:2:2013:MsgDef"
NS_APP = "urn:iso:15118:2:2010:AppProtocol"
NS_DSIG = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "iso15118" / "schemas"

QName = tuple[str, str]


# ---------------------------------------------------------------- schema model
@dataclass
class Simple:
    base: str                      # XSD built-in local name (string, int, base64Binary, ...)
    enum: tuple[str, ...] = ()
    lo: int | None = None
    hi: int | None = None
    length: int | None = None
    min_len: int | None = None
    max_len: int | None = None


@dataclass
class Attr:
    name: str
    type: Simple
    required: bool


@dataclass
class Elem:
    name: str
    owner: str                     # the complex type (or anonymous type's element) declaring it
    type_ref: QName | None = None
    anon: Complex | Simple | None = None
    abstract: bool = False
    qname: QName | None = None     # set for global elements (substitution groups)
    min: int = 1
    max: int = 1


@dataclass
class Group:
    kind: str                      # "sequence" | "choice" | "any"
    items: list[Particle] = field(default_factory=list)
    min: int = 1
    max: int = 1


Particle = Elem | Group


@dataclass
class Complex:
    name: str
    attrs: list[Attr] = field(default_factory=list)
    particle: Group | None = None
    simple: Simple | None = None
    mixed: bool = False


def _occurs(node: ET.Element) -> tuple[int, int]:
    mx = node.get("maxOccurs", "1")
    return int(node.get("minOccurs", "1")), (1 << 30) if mx == "unbounded" else int(mx)


class SchemaSet:
    """Global declarations of a set of XSD files, reached through xs:import."""

    def __init__(self, *roots: Path) -> None:
        self.elements: dict[QName, Elem] = {}
        self.types: dict[QName, ET.Element] = {}
        self.prefixes: dict[int, tuple[str, dict[str, str]]] = {}   # id(node) -> (tns, prefix map)
        self.members: dict[QName, list[QName]] = {}
        self._resolved: dict[QName, Complex | Simple] = {}
        self._roots: list[ET.Element] = []    # keeps every node alive, so id(node) stays unique
        seen: set[Path] = set()
        for root in roots:
            self._load(root.resolve(), seen)

    def _load(self, path: Path, seen: set[Path]) -> None:
        if path in seen:
            return
        seen.add(path)
        prefixes: dict[str, str] = {}
        root: ET.Element | None = None
        for event, item in ET.iterparse(path, events=("start-ns", "start")):
            if event == "start-ns":
                prefix, uri = item
                prefixes.setdefault(prefix, uri)
            elif root is None:
                root = item
        assert root is not None
        self._roots.append(root)
        tns = root.get("targetNamespace", "")
        for node in root.iter():
            self.prefixes[id(node)] = (tns, prefixes)
        for node in root:
            tag, name = node.tag.split("}")[1], node.get("name")
            if tag == "import":
                self._load(path.parent / node.attrib["schemaLocation"], seen)
            elif tag in ("complexType", "simpleType") and name:
                self.types[(tns, name)] = node
            elif tag == "element" and name:
                el = self._element(node, owner="")
                el.qname = (tns, name)
                self.elements[(tns, name)] = el
                if node.get("substitutionGroup"):
                    head = self._qname(node, node.attrib["substitutionGroup"])
                    self.members.setdefault(head, []).append((tns, name))

    def _qname(self, node: ET.Element, text: str) -> QName:
        tns, prefixes = self.prefixes[id(node)]
        prefix, _, local = text.rpartition(":")
        return prefixes.get(prefix, tns if prefix else prefixes.get("", tns)), local

    # ------------------------------------------------------------ parsing
    def _element(self, node: ET.Element, owner: str) -> Elem:
        lo, hi = _occurs(node)
        if node.get("ref"):
            ref = self.elements_lazy(self._qname(node, node.attrib["ref"]))
            return Elem(ref.name, owner, qname=ref.qname, min=lo, max=hi)
        el = Elem(node.attrib["name"], owner, abstract=node.get("abstract") == "true", min=lo, max=hi)
        if node.get("type"):
            el.type_ref = self._qname(node, node.attrib["type"])
        else:
            for child in node:
                tag = child.tag.split("}")[1]
                if tag == "complexType":
                    el.anon = self._complex(child, el.name)
                elif tag == "simpleType":
                    el.anon = self._simple(child)
        return el

    def elements_lazy(self, qn: QName) -> Elem:
        if qn in self.elements:
            return self.elements[qn]
        return Elem(qn[1], "", qname=qn)   # declared later in the file; looked up again on use

    def _particle(self, node: ET.Element, owner: str) -> Particle | None:
        tag = node.tag.split("}")[1]
        if tag == "element":
            return self._element(node, owner)
        if tag in ("sequence", "choice"):
            lo, hi = _occurs(node)
            grp = Group(tag, min=lo, max=hi)
            for child in node:
                part = self._particle(child, owner)
                if part is not None:
                    grp.items.append(part)
            return grp
        if tag == "any":
            lo, hi = _occurs(node)
            return Group("any", min=lo, max=hi)
        return None

    def _attrs(self, node: ET.Element) -> list[Attr]:
        out = []
        for child in node:
            if child.tag == f"{{{XS}}}attribute":
                typ = self.simple(self._qname(child, child.attrib["type"]))
                out.append(Attr(child.attrib["name"], typ, child.get("use") == "required"))
        return out

    def _complex(self, node: ET.Element, name: str) -> Complex:
        ct = Complex(name, attrs=self._attrs(node), mixed=node.get("mixed") == "true")
        for child in node:
            tag = child.tag.split("}")[1]
            if tag in ("sequence", "choice"):
                ct.particle = self._particle(child, name)  # type: ignore[assignment]
            elif tag in ("complexContent", "simpleContent"):
                ext = child[0]
                if ext.tag != f"{{{XS}}}extension":
                    raise NotImplementedError(f"{name}: only extensions are used by these schemas")
                base = self._qname(ext, ext.attrib["base"])
                if tag == "simpleContent":
                    ct.simple = self.simple(base)
                    ct.attrs = self._attrs(ext)
                    continue
                base_ct = self.complex(base)
                own = [self._particle(x, name) for x in ext if x.tag.split("}")[1] in ("sequence", "choice")]
                parts = [p for p in [base_ct.particle, *own] if p is not None]
                ct.particle = Group("sequence", parts) if parts else None
                ct.attrs = base_ct.attrs + self._attrs(ext)
                ct.mixed = ct.mixed or base_ct.mixed
        return ct

    def _simple(self, node: ET.Element) -> Simple:
        restr = node[0]
        base = self._qname(restr, restr.attrib["base"])
        sim = replace(self.simple(base))
        enum = []
        for facet in restr:
            tag, val = facet.tag.split("}")[1], facet.get("value", "")
            if tag == "enumeration":
                enum.append(val)
            elif tag in ("minInclusive", "maxInclusive", "length", "minLength", "maxLength"):
                attr = {"minInclusive": "lo", "maxInclusive": "hi", "length": "length",
                        "minLength": "min_len", "maxLength": "max_len"}[tag]
                setattr(sim, attr, int(val))
        if enum:
            sim.enum = tuple(enum)
        return sim

    # ------------------------------------------------------------ lookups
    def simple(self, qn: QName) -> Simple:
        if qn[0] == XS:
            return Simple(qn[1])
        got = self._resolved.get(qn)
        if got is None:
            got = self._resolved[qn] = self._simple(self.types[qn])
        assert isinstance(got, Simple)
        return got

    def complex(self, qn: QName) -> Complex:
        got = self._resolved.get(qn)
        if got is None:
            got = self._resolved[qn] = self._complex(self.types[qn], qn[1])
        assert isinstance(got, Complex)
        return got

    def type_of(self, el: Elem) -> Complex | Simple:
        if el.qname is not None and el.type_ref is None and el.anon is None:
            glob = self.elements[el.qname]
            if glob is not el:
                return self.type_of(glob)
        if el.anon is not None:
            return el.anon
        assert el.type_ref is not None, el.name
        if el.type_ref[0] == XS or self.types[el.type_ref].tag.endswith("simpleType"):
            return self.simple(el.type_ref)
        return self.complex(el.type_ref)

    def concrete(self, el: Elem) -> list[Elem]:
        """The element itself, or for an abstract head the concrete members of its group."""
        glob = self.elements.get(el.qname) if el.qname else None
        if glob is None:
            return [el]
        out = [] if glob.abstract else [glob]
        for member in self.members.get(glob.qname or ("", ""), []):
            out += self.concrete(self.elements[member])
        return out


@cache
def schema_set() -> SchemaSet:
    return SchemaSet(SCHEMA_DIR / "iso15118_2" / "V2G_CI_MsgDef.xsd", SCHEMA_DIR / "V2G_CI_AppProtocol.xsd")


# ---------------------------------------------------------------- generation
@dataclass(frozen=True)
class Sizes:
    max_repeat: int = 2      # extra occurrences above minOccurs for maxOccurs > 1
    max_bytes: int = 24      # binary values (unless a length facet says otherwise)
    max_text: int = 8        # characters of unconstrained strings
    astral: bool = True      # allow code points above U+FFFF in strings
    edges: bool = True       # sometimes go to facet maxima, maxOccurs <= 24 and EXI length boundaries


@dataclass(frozen=True)
class Profile:
    sizes: Sizes = Sizes()
    require: frozenset[tuple[str, str]] = frozenset()   # (owner, child) optional but always present
    forbid: frozenset[tuple[str, str]] = frozenset()    # (owner, child) optional and never present
    cap: frozenset[tuple[str, str, int]] = frozenset()  # (owner, child, n): at most n occurrences
    full: frozenset[tuple[str, str]] = frozenset()      # (owner, child): always maxOccurs occurrences


# Optional children that can't be left out; the dsig wildcard/mixed subtrees (see module docstring).
_ALWAYS_FORBID = frozenset({("SignatureType", "KeyInfo"), ("SignatureType", "Object")})
DEFAULT = Profile()
# Lists whose grammar in the jar's pre-generated ISO15118_2Grammar is a loop instead of the XSD's
# bound (tests/peers/exificient_peer.py): only a *full* list encodes differently there.
JAR_LOOPED_LISTS = (
    ("ChargingProfileType", "ProfileEntry", 24), ("ListOfRootCertificateIDsType", "RootCertificateID", 20),
    ("SelectedServiceListType", "SelectedService", 16), ("ParameterSetType", "Parameter", 16),
    ("ServiceParameterListType", "ParameterSet", 255), ("PMaxScheduleType", "PMaxScheduleEntry", 1024),
    ("SalesTariffType", "SalesTariffEntry", 1024),
)
# For the EXIficient jar as shipped: its JSON API writes 0 for these four optional elements when they
# are absent (issue 5), and its looped lists differ from the XSD when full; the vectors and the XSD
# decide, so the cross-check fills the four in and keeps those lists one short of full.
JAR_PROFILE = Profile(require=frozenset({
    ("supportedAppProtocolRes", "SchemaID"), ("MeteringReceiptReqType", "SAScheduleTupleID"),
    ("SalesTariffType", "NumEPriceLevels"), ("SalesTariffEntryType", "EPriceLevel"),
}), cap=frozenset((owner, child, n - 1) for owner, child, n in JAR_LOOPED_LISTS))

_INT_RANGES = {
    "byte": (-(1 << 7), (1 << 7) - 1), "short": (-(1 << 15), (1 << 15) - 1),
    "int": (-(1 << 31), (1 << 31) - 1), "long": (-(1 << 63), (1 << 63) - 1),
    "unsignedByte": (0, 255), "unsignedShort": (0, 65535), "unsignedInt": (0, (1 << 32) - 1),
    "unsignedLong": (0, (1 << 64) - 1), "integer": (-(1 << 100), 1 << 100),
}
_NC_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_NC_REST = _NC_START + "0123456789.-"


def _chars(sizes: Sizes, space: bool) -> st.SearchStrategy[str]:
    # XML 1.0 Char production minus controls/surrogates/non-characters; no whitespace for collapsed types.
    top = 0x10FFFF if sizes.astral else 0xFFFF
    if space:
        return st.characters(categories=("L", "M", "N", "P", "S", "Zs"), max_codepoint=top,
                             exclude_characters="\ufffe\uffff")
    return st.characters(categories=("L", "M", "N", "P", "S"), max_codepoint=top,
                         exclude_characters="\ufffe\uffff")


def _length(sim: Simple, small: int, sizes: Sizes, edges: tuple[int, ...]) -> st.SearchStrategy[int]:
    """Lengths within the facets: mostly small, sometimes at the facet maximum or a varint boundary."""
    if sim.length is not None:
        return st.just(sim.length)
    lo = sim.min_len or 0
    top = sim.max_len if sim.max_len is not None else 1 << 30
    hi = min(top, lo + small)
    if not sizes.edges:
        return st.integers(lo, hi)
    near = sorted({x for x in edges if lo <= x <= top} | ({top} if sim.max_len is not None else set()))
    choices = [st.integers(lo, hi)] * 3
    return st.one_of(*choices, st.sampled_from(near)) if near else st.integers(lo, hi)


# EXI Unsigned Integer lengths change width at 128 (and 16384): binary length n, string length n + 2.
_BINARY_EDGES = (127, 128)
_TEXT_EDGES = (125, 126)


def _text(sim: Simple, sizes: Sizes) -> st.SearchStrategy[str]:
    if sim.base == "ID":
        return st.builds(lambda a, b: a + b, st.sampled_from(_NC_START),
                         st.text(_NC_REST, max_size=max(0, sizes.max_text - 1)))
    # anyURI has whiteSpace collapse: no blanks at all keeps the value canonical.
    chars = _chars(sizes, sim.base != "anyURI")
    return _length(sim, sizes.max_text, sizes, _TEXT_EDGES).flatmap(
        lambda n: st.text(chars, min_size=n, max_size=n))


def _simple_value(sim: Simple, sizes: Sizes) -> st.SearchStrategy[Any]:
    if sim.enum:
        return st.sampled_from(sim.enum)
    if sim.base in _INT_RANGES:
        lo, hi = _INT_RANGES[sim.base]
        return st.integers(max(lo, sim.lo if sim.lo is not None else lo),
                           min(hi, sim.hi if sim.hi is not None else hi))
    if sim.base == "boolean":
        return st.booleans()
    if sim.base in ("base64Binary", "hexBinary"):
        raw = _length(sim, sizes.max_bytes, sizes, _BINARY_EDGES).flatmap(
            lambda n: st.binary(min_size=n, max_size=n))
        if sim.base == "hexBinary":
            return raw.map(lambda b: b.hex().upper())
        return raw.map(lambda b: base64.b64encode(b).decode())
    if sim.base in ("string", "anyURI", "ID", "NCName"):
        return _text(sim, sizes)
    raise NotImplementedError(f"no strategy for xs:{sim.base}")


class _Gen:
    def __init__(self, schemas: SchemaSet, profile: Profile, draw: Callable[[Any], Any]) -> None:
        self.s, self.p, self.draw = schemas, profile, draw
        self.forbid = profile.forbid | _ALWAYS_FORBID

    def value(self, typ: Complex | Simple) -> Any:
        if isinstance(typ, Simple):
            return self.draw(_simple_value(typ, self.p.sizes))
        out: dict[str, Any] = {}
        for attr in typ.attrs:
            if attr.required or self.draw(st.booleans()):
                out[attr.name] = self.draw(_simple_value(attr.type, self.p.sizes))
        if typ.simple is not None:
            out["value"] = self.draw(_simple_value(typ.simple, self.p.sizes))
        elif typ.particle is not None and not typ.mixed:
            self.particle(typ.particle, out)
        return out

    def count(self, lo: int, hi: int, key: tuple[str, str]) -> int:
        if key in self.forbid and lo == 0:
            return 0
        hi = min([hi, *(n for owner, child, n in self.p.cap if (owner, child) == key)])
        if key in self.p.full:
            return hi
        if key in self.p.require and lo == 0:
            lo = 1
        small = st.integers(lo, min(hi, lo + self.p.sizes.max_repeat))
        if self.p.sizes.edges and hi <= 24 and self.draw(st.integers(0, 3)) == 0:
            return hi       # a full list: the grammar state after the last allowed occurrence
        return int(self.draw(small))

    def particle(self, part: Particle, out: dict[str, Any]) -> None:
        if isinstance(part, Elem):
            n = self.count(part.min, part.max, (part.owner, part.name))
            if n == 0:
                return
            # An abstract head stands for one of the concrete members of its substitution group.
            chosen = self.draw(st.sampled_from(self.s.concrete(part)))
            items = [self.value(self.s.type_of(chosen)) for _ in range(n)]
            out[chosen.name] = items if part.max > 1 else items[0]
            return
        if part.kind == "any":       # wildcards: never generated (see module docstring)
            if part.min > 0:
                raise NotImplementedError("required wildcard")
            return
        if part.min == 0 and not self.draw(st.booleans()):
            return
        # Repeated groups are generated once: no ISO-2 type has a repeated group with named content.
        if part.kind == "sequence":
            for item in part.items:
                self.particle(item, out)
        else:
            self.particle(self.draw(st.sampled_from(part.items)), out)


def _unique_ids(tree: Any, counter: Iterator[int] | None = None, seen: set[str] | None = None) -> Any:
    """xs:ID values must be unique in a document (XSD Part 2 §3.3.8): rename repeats."""
    counter = counter if counter is not None else itertools.count(1)
    seen = seen if seen is not None else set()
    if isinstance(tree, list):
        return [_unique_ids(x, counter, seen) for x in tree]
    if not isinstance(tree, dict):
        return tree
    out = {}
    for key, val in tree.items():
        if key == "Id" and isinstance(val, str):
            while val in seen:
                val = f"{val}_{next(counter)}"
            seen.add(val)
            out[key] = val
        else:
            out[key] = _unique_ids(val, counter, seen)
    return out


def _element_tree(el: Elem, profile: Profile) -> st.SearchStrategy[dict[str, Any]]:
    schemas = schema_set()

    @st.composite
    def build(draw: Callable[[Any], Any]) -> dict[str, Any]:
        gen = _Gen(schemas, profile, draw)
        return {el.name: _unique_ids(gen.value(schemas.type_of(el)))}

    return build()


# ---------------------------------------------------------------- public strategies
def _body_elements() -> list[str]:
    schemas = schema_set()
    return sorted(m[1] for m in schemas.members[(NS_BODY, "BodyElement")])


ISO2_MESSAGES: tuple[str, ...] = tuple(_body_elements())
APP_PROTOCOL_MESSAGES = ("supportedAppProtocolReq", "supportedAppProtocolRes")
# Signable ISO-2 elements (pnc-facts §2; cbexigen's iso2 fragment list) -> their XSD type when local.
FRAGMENT_ROOTS: dict[str, QName | None] = {
    "AuthorizationReq": None, "CertificateInstallationReq": None, "CertificateUpdateReq": None,
    "MeteringReceiptReq": None,
    "ContractSignatureCertChain": (NS_TYPES, "CertificateChainType"),
    "ContractSignatureEncryptedPrivateKey": (NS_TYPES, "ContractSignatureEncryptedPrivateKeyType"),
    "DHpublickey": (NS_TYPES, "DiffieHellmanPublickeyType"),
    "eMAID": (NS_TYPES, "EMAIDType"),
    "SalesTariff": (NS_TYPES, "SalesTariffType"),
}


def v2g_message(body: str, profile: Profile = DEFAULT) -> st.SearchStrategy[dict[str, Any]]:
    """A V2G_Message document with a generated Header and the body element ``body``."""
    schemas = schema_set()
    header_t = schemas.complex((NS_DEF.replace("MsgDef", "MsgHeader"), "MessageHeaderType"))
    body_el = schemas.elements[(NS_BODY, body)]

    @st.composite
    def build(draw: Callable[[Any], Any]) -> dict[str, Any]:
        gen = _Gen(schemas, profile, draw)
        msg = {"Header": gen.value(header_t), "Body": {body: gen.value(schemas.type_of(body_el))}}
        return {"V2G_Message": _unique_ids(msg)}

    return build()


def app_protocol(name: str, profile: Profile = DEFAULT) -> st.SearchStrategy[dict[str, Any]]:
    return _element_tree(schema_set().elements[(NS_APP, name)], profile)


def message(name: str, profile: Profile = DEFAULT) -> st.SearchStrategy[dict[str, Any]]:
    """Any message by name: an ISO-2 body element (as a full V2G_Message) or an SAP message."""
    if name in APP_PROTOCOL_MESSAGES:
        return app_protocol(name, profile)
    return v2g_message(name, profile)


def fragment(root: str, profile: Profile = DEFAULT) -> st.SearchStrategy[dict[str, Any]]:
    """A signable ISO-2 element on its own, as it is EXI-encoded for a Reference digest."""
    schemas = schema_set()
    type_qn = FRAGMENT_ROOTS[root]
    if type_qn is None:
        return _element_tree(schemas.elements[(NS_BODY, root)], profile)
    return _element_tree(Elem(root, "", type_ref=type_qn), profile)


def signed_info(profile: Profile = DEFAULT) -> st.SearchStrategy[dict[str, Any]]:
    """Any schema-valid xmldsig SignedInfo (encoded with the xmldsig-core grammar alone)."""
    return _element_tree(schema_set().elements[(NS_DSIG, "SignedInfo")], profile)


C14N_EXI = "http://www.w3.org/TR/canonical-exi/"


def iso_signed_info(max_refs: int = 4) -> st.SearchStrategy[dict[str, Any]]:
    """A SignedInfo as ISO 15118-2 [V2G2-771] builds it: fixed algorithms, one canonical-exi Transform
    and a SHA-256 digest per Reference, references by ``#Id`` (pnc-facts §2)."""
    ref = st.builds(
        lambda uri, digest: {
            "URI": "#" + uri, "Transforms": {"Transform": [{"Algorithm": C14N_EXI}]},
            "DigestMethod": {"Algorithm": "http://www.w3.org/2001/04/xmlenc#sha256"},
            "DigestValue": base64.b64encode(digest).decode()},
        _text(Simple("ID"), DEFAULT.sizes), st.binary(min_size=32, max_size=32))
    return st.lists(ref, min_size=1, max_size=max_refs).map(lambda refs: {"SignedInfo": {
        "CanonicalizationMethod": {"Algorithm": C14N_EXI},
        "SignatureMethod": {"Algorithm": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
        "Reference": refs}})
