"""Check a JSON request body against an official SDK's request type (a TypedDict).

The SDKs do not validate their params at run time, so this walks the type hints itself:
TypedDict keys (unknown keys and missing required keys are errors), Literal values, unions,
lists, mappings and scalars. It also reads the SDK's own words about deprecation from the
source of each TypedDict (the generated docstrings below each field):

- a field is deprecated when its docstring says so up front ("Deprecated: use ...",
  "Legacy ... parameter"), or says "is now deprecated";
- a value is deprecated when the field's docstring lists it under "Deprecated values:".

A body using either is reported, so a contract test fails on a deprecated key as it does on an
unknown one.
"""

from __future__ import annotations

import ast
import collections.abc
import functools
import inspect
import re
import textwrap
import types
import typing
from typing import Any

import typing_extensions

_FIELD_DEPRECATED = re.compile(r"^\s*(deprecated|legacy)\b|\bis now deprecated\b", re.I)
_VALUE_LINE = re.compile(r"^\s*-\s+((?:\"[^\"]+\"(?:,\s*)?)+):")
# Deprecated *values* of these fields are not the client's to avoid: which model to use is the
# user's choice (the model catalog refuses shut-down ones), and the "legacy size suggestions"
# are ordinary WIDTHxHEIGHT sizes for the models that take free sizes.
VALUE_CHECK_EXEMPT = frozenset({"model", "size"})


def _is_typeddict(tp: Any) -> bool:
    return typing_extensions.is_typeddict(tp) or typing.is_typeddict(tp)


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """Field name -> the docstring under it, for `cls` and the TypedDicts it extends (a
    TypedDict's bases are not in its __mro__, only in __orig_bases__)."""
    docs: dict[str, str] = {}
    for base in getattr(cls, "__orig_bases__", ()):
        if _is_typeddict(base):
            docs.update(field_docs(base))
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return docs
    body = ast.parse(source).body[0].body  # type: ignore[attr-defined]
    for node, after in zip(body, [*body[1:], None], strict=True):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def deprecated_field(cls: type, name: str) -> bool:
    doc = field_docs(cls).get(name, "")
    return bool(_FIELD_DEPRECATED.search(doc.split("Deprecated values:")[0]))


def deprecated_values(cls: type, name: str) -> set[str]:
    doc = field_docs(cls).get(name, "")
    _, found, section = doc.partition("Deprecated values:")
    values: set[str] = set()
    if found:
        for line in section.splitlines():
            match = _VALUE_LINE.match(line)
            if match:
                values |= set(re.findall(r"\"([^\"]+)\"", match.group(1)))
    return values


def _unwrap(tp: Any) -> tuple[Any, str | None]:
    """Strip Required/NotRequired/ReadOnly/Annotated; return the type and a wire alias."""
    alias = None
    while True:
        origin = typing.get_origin(tp)
        if origin in (typing.Annotated, typing_extensions.Annotated):
            for meta in tp.__metadata__:
                alias = getattr(meta, "alias", None) or alias
            tp = tp.__origin__
            continue
        if (
            origin
            in (
                typing_extensions.Required,
                typing_extensions.NotRequired,
                getattr(typing_extensions, "ReadOnly", None),
                getattr(typing, "Required", None),
                getattr(typing, "NotRequired", None),
            )
            and origin is not None
        ):
            tp = typing.get_args(tp)[0]
            continue
        return tp, alias


def check(value: Any, tp: Any, path: str = "body") -> list[str]:
    """Problems of `value` as an instance of `tp` (an SDK param type); [] when it conforms."""
    tp, _ = _unwrap(tp)
    if tp is Any or tp is object:
        return []
    if _is_typeddict(tp):
        return _check_typeddict(value, tp, path)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        best: list[str] | None = None
        for arg in args:
            found = check(value, arg, path)
            if not found:
                return []
            if best is None or len(found) < len(best):
                best = found
        return best or [f"{path}: {value!r} matches no type of {tp}"]
    if origin is typing.Literal or origin is typing_extensions.Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of {args}"]
    if tp is type(None):
        return [] if value is None else [f"{path}: expected null"]
    if origin in (dict, collections.abc.Mapping) or tp is dict:
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        if not args:
            return []
        return [p for k, v in value.items() for p in check(v, args[1], f"{path}.{k}")]
    if origin in (list, collections.abc.Iterable, collections.abc.Sequence) or _sequence(tp):
        if isinstance(value, str) or not isinstance(value, list):
            return [f"{path}: expected a list"]
        item = args[0] if args else Any
        return [p for i, v in enumerate(value) for p in check(v, item, f"{path}[{i}]")]
    if tp is str:
        return [] if isinstance(value, str) else [f"{path}: expected a string"]
    if tp is bool:
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean"]
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected an integer"]
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number"]
    raise TypeError(f"{path}: no check for type {tp!r}")


def _sequence(tp: Any) -> bool:
    """SequenceNotStr and similar protocols the SDKs use for lists."""
    origin = typing.get_origin(tp) or tp
    return getattr(origin, "__name__", "") in ("SequenceNotStr", "Sequence", "Iterable")


def _check_typeddict(value: Any, cls: type, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object ({cls.__name__})"]
    hints = typing.get_type_hints(cls, include_extras=True)
    wire: dict[str, tuple[str, Any]] = {}
    for name, hint in hints.items():
        _, alias = _unwrap(hint)
        wire[alias or name] = (name, hint)
    problems: list[str] = []
    for key in sorted(set(value) - set(wire)):
        problems.append(f"{path}.{key}: unknown key for {cls.__name__}")
    required = {key for key, (name, _) in wire.items() if name in cls.__required_keys__}
    for key in sorted(required - set(value)):
        problems.append(f"{path}.{key}: required by {cls.__name__}")
    for key in sorted(set(value) & set(wire)):
        name, hint = wire[key]
        where = f"{path}.{key}"
        if deprecated_field(cls, name):
            problems.append(f"{where}: deprecated in {cls.__name__}")
        if name not in VALUE_CHECK_EXEMPT and _deprecated_value(value[key], cls, name):
            problems.append(f"{where}: {value[key]!r} is a deprecated value")
        problems += check(value[key], hint, where)
    return problems


def _deprecated_value(value: Any, cls: type, name: str) -> bool:
    old = deprecated_values(cls, name)
    return isinstance(value, str) and value in old
