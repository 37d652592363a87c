"""The engine of the typed message layer: frozen dataclasses <-> the codec's JSON-convention trees.

A model is a frozen, keyword-only dataclass deriving from ``TreeModel``; every field names its XSD
element or attribute once, with ``xsd("Name")``. The conversion is read off the type annotation:

=============================  =================================================================
annotation                     tree form (JSON convention of the EXI codec)
=============================  =================================================================
``str`` / ``int`` / ``bool``   the value itself (``bool`` is never accepted for ``int``)
``bytes``                      base64Binary as base64 text; ``xsd(..., hex=True)`` hexBinary as upper-case hex
``StrEnum`` subclass           the XSD enumeration literal
``TreeModel`` subclass         a nested dict (complexType content)
``A | B | ...`` of models      a choice: ``{ELEMENT: content}`` of the member whose ``ELEMENT`` matches
``Mapping[str, Any]``          an opaque subtree, passed through (the header ``Signature``)
``X | None``                   optional: absent from the tree when ``None``
``tuple[X, ...]``              a repeated element: a JSON list
=============================  =================================================================

A name ``"Wrapper/Item"`` flattens a wrapper element holding one repeated element (``SubCertificates/
Certificate``); with a default of ``()`` the wrapper is left out when the tuple is empty.

``from_tree`` raises ``MessageError`` carrying the path of the missing, unexpected or ill-typed part.
Models check types only; schema facets (lengths, ranges, counts) are the codec's job.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypeVar

__all__ = ["MessageError", "TreeModel", "xsd"]

_M = TypeVar("_M", bound="TreeModel")
_HEX = "hex"
_XSD = "xsd"


class MessageError(Exception):
    """A tree does not fit the typed message; ``path`` locates the offending part (``A/B[2]/C``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def xsd(name: str, *, hex: bool = False, default: Any = dataclasses.MISSING) -> Any:
    """Declare a field's XSD element/attribute name (and hexBinary encoding for ``bytes``)."""
    metadata = {_XSD: name, _HEX: hex}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


class _Kind(enum.Enum):
    STR = "string"
    INT = "integer"
    BOOL = "boolean"
    BASE64 = "base64 text"
    HEX = "hex text"
    ENUM = "enumeration literal"
    MODEL = "element"
    CHOICE = "element choice"
    RAW = "element subtree"


@dataclasses.dataclass(frozen=True, slots=True)
class _Spec:
    attr: str
    names: tuple[str, ...]  # one name, or (wrapper, item)
    kind: _Kind
    target: Any  # the enum / model class, or a tuple of choice models
    optional: bool
    many: bool
    has_default: bool


class TreeModel:
    """Base of every typed message part. Subclasses are ``@dataclass(frozen=True, kw_only=True)``.

    ``ELEMENT`` is set on models that are global elements (body messages, document roots): their
    ``to_tree`` returns ``{ELEMENT: content}``; other models (complexTypes) return their content.
    """

    __slots__ = ()
    ELEMENT: ClassVar[str | None] = None

    def to_tree(self) -> dict[str, Any]:
        content = _content_to_tree(self)
        return {self.ELEMENT: content} if self.ELEMENT else content

    def element(self, attr: str) -> dict[str, Any]:
        """``{XSD name: tree}`` of one field: the fragment tree of a child element (for signing)."""
        for spec in _specs(type(self)):
            if spec.attr == attr:
                value = getattr(self, attr)
                if value is None or spec.many or len(spec.names) != 1:
                    raise MessageError(_join(type(self).__name__, spec.names[0]), "not a single present element")
                return {spec.names[0]: _value_to_tree(spec, value)}
        raise AttributeError(f"{type(self).__name__} has no field {attr!r}")

    @classmethod
    def from_tree(cls, tree: Mapping[str, Any], path: str = "") -> Self:
        if cls.ELEMENT:
            if not isinstance(tree, Mapping) or list(tree) != [cls.ELEMENT]:
                found = list(tree) if isinstance(tree, Mapping) else type(tree).__name__
                raise MessageError(path or "/", f"expected the single root element {cls.ELEMENT}, got {found}")
            return _content_from_tree(cls, tree[cls.ELEMENT], _join(path, cls.ELEMENT))
        return _content_from_tree(cls, tree, path or cls.__name__)


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


_SPECS_ATTR = "_tree_specs_"


def _specs(cls: type[TreeModel]) -> tuple[_Spec, ...]:
    """The field specs of a model, computed once and kept on the class itself."""
    specs: tuple[_Spec, ...] | None = cls.__dict__.get(_SPECS_ATTR)
    if specs is None:
        specs = _build_specs(cls)
        setattr(cls, _SPECS_ATTR, specs)
    return specs


def _build_specs(cls: type[TreeModel]) -> tuple[_Spec, ...]:
    hints = typing.get_type_hints(cls)
    specs: list[_Spec] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if _XSD not in f.metadata:
            raise TypeError(f"{cls.__name__}.{f.name} has no xsd(...) declaration")
        annotation = hints[f.name]
        optional = many = False
        args = typing.get_args(annotation)
        if _is_union(annotation) and type(None) in args:
            optional = True
            rest = tuple(a for a in args if a is not type(None))
            annotation = rest[0] if len(rest) == 1 else typing.Union[rest]  # noqa: UP007
        if typing.get_origin(annotation) is tuple:
            many = True
            annotation = typing.get_args(annotation)[0]
        kind, target = _kind_of(annotation, hex=bool(f.metadata[_HEX]), where=f"{cls.__name__}.{f.name}")
        specs.append(
            _Spec(
                attr=f.name,
                names=tuple(str(f.metadata[_XSD]).split("/")),
                kind=kind,
                target=target,
                optional=optional,
                many=many,
                has_default=f.default is not dataclasses.MISSING,
            )
        )
    return tuple(specs)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _kind_of(annotation: Any, *, hex: bool, where: str) -> tuple[_Kind, Any]:
    if _is_union(annotation):
        members = typing.get_args(annotation)
        if all(isinstance(m, type) and issubclass(m, TreeModel) and m.ELEMENT for m in members):
            return _Kind.CHOICE, members
        raise TypeError(f"{where}: unions must be of element models")
    if annotation is bytes:
        return (_Kind.HEX if hex else _Kind.BASE64), None
    if annotation is bool:
        return _Kind.BOOL, None
    if annotation is int:
        return _Kind.INT, None
    if annotation is str:
        return _Kind.STR, None
    if isinstance(annotation, type) and issubclass(annotation, enum.StrEnum):
        return _Kind.ENUM, annotation
    if isinstance(annotation, type) and issubclass(annotation, TreeModel):
        return _Kind.MODEL, annotation
    if typing.get_origin(annotation) is Mapping:
        return _Kind.RAW, None
    raise TypeError(f"{where}: unsupported annotation {annotation!r}")


# --- to tree ---------------------------------------------------------------------------------------------


def _value_to_tree(spec: _Spec, value: Any) -> Any:
    kind = spec.kind
    if kind is _Kind.BASE64:
        return base64.b64encode(value).decode("ascii")
    if kind is _Kind.HEX:
        return bytes(value).hex().upper()
    if kind is _Kind.ENUM:
        return spec.target(value).value
    if kind is _Kind.MODEL:
        return _content_to_tree(value)
    if kind is _Kind.CHOICE:
        return value.to_tree()
    if kind is _Kind.RAW:
        return dict(value)
    return value


def _content_to_tree(model: TreeModel) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for spec in _specs(type(model)):
        value = getattr(model, spec.attr)
        if value is None or (spec.many and not value and spec.has_default):
            continue
        converted = [_value_to_tree(spec, v) for v in value] if spec.many else _value_to_tree(spec, value)
        if len(spec.names) == 2:
            tree[spec.names[0]] = {spec.names[1]: converted}
        else:
            tree[spec.names[0]] = converted
    return tree


# --- from tree -------------------------------------------------------------------------------------------


def _type_error(path: str, kind: _Kind, value: Any) -> MessageError:
    return MessageError(path, f"expected {kind.value}, got {type(value).__name__} {value!r:.60}")


def _value_from_tree(spec: _Spec, value: Any, path: str) -> Any:
    kind = spec.kind
    if kind is _Kind.STR:
        if not isinstance(value, str):
            raise _type_error(path, kind, value)
        return value
    if kind is _Kind.INT:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _type_error(path, kind, value)
        return value
    if kind is _Kind.BOOL:
        if not isinstance(value, bool):
            raise _type_error(path, kind, value)
        return value
    if kind is _Kind.BASE64:
        if not isinstance(value, str):
            raise _type_error(path, kind, value)
        try:
            return base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MessageError(path, f"not valid base64: {exc}") from None
    if kind is _Kind.HEX:
        if not isinstance(value, str):
            raise _type_error(path, kind, value)
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise MessageError(path, f"not valid hex: {value!r:.60}") from None
    if kind is _Kind.ENUM:
        try:
            return spec.target(value)
        except ValueError:
            raise MessageError(path, f"{value!r:.60} is not a {spec.target.__name__} literal") from None
    if not isinstance(value, Mapping):
        raise _type_error(path, kind, value)
    if kind is _Kind.MODEL:
        return _content_from_tree(spec.target, value, path)
    if kind is _Kind.CHOICE:
        for member in spec.target:
            if list(value) == [member.ELEMENT]:
                return member.from_tree(value, path)
        names = ", ".join(m.ELEMENT for m in spec.target)
        raise MessageError(path, f"unsupported element {list(value)}; expected one of {names}")
    return dict(value)


def _content_from_tree(cls: type[_M], tree: Any, path: str) -> _M:
    if not isinstance(tree, Mapping):
        raise MessageError(path, f"expected an element, got {type(tree).__name__}")
    specs = _specs(cls)
    known = {spec.names[0] for spec in specs}
    unexpected = [key for key in tree if key not in known]
    if unexpected:
        raise MessageError(_join(path, str(unexpected[0])), f"unexpected in {cls.__name__}")
    kwargs: dict[str, Any] = {}
    for spec in specs:
        here = _join(path, spec.names[0])
        if spec.names[0] not in tree or tree[spec.names[0]] is None:
            if spec.optional or spec.has_default:
                continue
            raise MessageError(here, "missing")
        value = tree[spec.names[0]]
        if len(spec.names) == 2:
            if not isinstance(value, Mapping) or list(value) != [spec.names[1]]:
                raise MessageError(here, f"expected an element holding only {spec.names[1]}")
            here = _join(here, spec.names[1])
            value = value[spec.names[1]]
        if spec.many:
            items = value if isinstance(value, list | tuple) else [value]
            kwargs[spec.attr] = tuple(_value_from_tree(spec, v, f"{here}[{i}]") for i, v in enumerate(items))
        else:
            kwargs[spec.attr] = _value_from_tree(spec, value, here)
    return cls(**kwargs)
