"""Response checkers built from the Kalshi reference material of tests/kalshi_reference.py.

Two independent references, because the OpenAPI file (3.13) is older than the current API (3.34):
- `openapi_errors(doc, schema_name)`: JSON-Schema validation against the committed openapi.yaml
  components (nullable and $ref translated), i.e. every field the 3.13 spec requires, with its type.
- `reference_errors(doc, model)`: the 3.34 field reference read from the official SDK's models:
  required fields, Python-ish types ("str | null", "list[Market]"), enums, and the fixed-point
  string formats of *_dollars (4 dp) and *_fp (2 dp) fields.
- `legacy_errors(doc, sample)`: key-by-key JSON types against a real legacy-format sample.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import jsonschema
import yaml

from tests.kalshi_reference import OPENAPI, SAMPLES, field_reference


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes a null alternative."""
    if isinstance(node, dict):
        out = {k: _convert(v) for k, v in node.items() if not k.startswith("x-")}
        if out.pop("nullable", False):
            return {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_convert(v) for v in node]
    return node


@cache
def _components() -> dict[str, Any]:
    with OPENAPI.open() as fh:
        doc = yaml.safe_load(fh)
    converted: dict[str, Any] = _convert(doc["components"]["schemas"])
    return converted


def sample(name: str) -> Any:
    with (SAMPLES / name).open() as fh:
        return json.load(fh)


@cache
def _nullable_in_reference() -> frozenset[str]:
    """Field names the 3.34 reference declares nullable ("... | null")."""
    names = set()
    for model in field_reference()["models"].values():
        for name, field in model.get("fields", {}).items():
            if "null" in field["type"]:
                names.add(name)
    return frozenset(names)


def openapi_errors(doc: Any, schema_name: str) -> list[str]:
    """Errors against the 3.13 components. A null where 3.13 says "string" but the newer 3.34
    reference says "str | null" is accepted: the real API sends those nulls (see samples/)."""
    schema = {
        "allOf": [{"$ref": f"#/components/schemas/{schema_name}"}],
        "components": {"schemas": _components()},
    }
    validator = jsonschema.Draft7Validator(schema)
    nullable = _nullable_in_reference()
    out = []
    for e in validator.iter_errors(doc):
        field = e.absolute_path[-1] if e.absolute_path else None
        if e.instance is None and isinstance(field, str) and field in nullable:
            continue
        out.append(f"{'/'.join(map(str, e.absolute_path))}: {e.message}")
    return out


_DOLLARS = re.compile(r"^\d+\.\d{4}$")
_COUNT = re.compile(r"^\d+\.\d{2}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _type_ok(value: Any, typ: str, path: str, errors: list[str]) -> None:
    alts = [t.strip() for t in _split_union(typ)]
    if value is None:
        if "null" not in alts:
            errors.append(f"{path}: null not allowed ({typ})")
        return
    for alt in alts:
        if alt == "null":
            continue
        sub: list[str] = []
        _one_type(value, alt, path, sub)
        if not sub:
            return
        last = sub
    errors.extend(last if alts else [f"{path}: no type"])


def _split_union(typ: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in typ:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "|" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _one_type(value: Any, typ: str, path: str, errors: list[str]) -> None:
    typ = typ.strip()
    models = field_reference()["models"]
    if typ.startswith("list["):
        if not isinstance(value, list):
            errors.append(f"{path}: expected {typ}")
            return
        inner = typ[5:-1]
        for i, v in enumerate(value):
            _type_ok(v, inner, f"{path}[{i}]", errors)
        return
    if typ.startswith("dict["):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected {typ}")
        return
    base = typ.split(" (")[0]
    if base == "str":
        ok = isinstance(value, str)
    elif base == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif base == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif base == "bool":
        ok = isinstance(value, bool)
    elif base == "datetime":
        ok = isinstance(value, str) and bool(_RFC3339.match(value))
    elif base in models:
        model = models[base]
        if "enum" in model:
            ok = value in model["enum"]
        else:
            errors.extend(reference_errors(value, base, path))
            return
    else:
        ok = True  # a name the SDK does not define: nothing to check it against
    if not ok:
        errors.append(f"{path}: {value!r} is not {typ}")


def reference_errors(doc: Any, model: str, path: str = "") -> list[str]:
    """Check `doc` against the 3.34 field reference's `model`."""
    spec = field_reference()["models"][model]
    errors: list[str] = []
    if not isinstance(doc, dict):
        return [f"{path or model}: expected object"]
    for name, field in spec["fields"].items():
        p = f"{path}.{name}" if path else name
        if name not in doc:
            if field["required"]:
                errors.append(f"{p}: required field missing")
            continue
        value = doc[name]
        _type_ok(value, field["type"], p, errors)
        if value is not None and "enum" in field and value not in field["enum"]:
            errors.append(f"{p}: {value!r} not in {field['enum']}")
        if isinstance(value, str) and name.endswith("_dollars") and not _DOLLARS.match(value):
            errors.append(f"{p}: {value!r} is not a 4-dp dollar string")
        if isinstance(value, str) and name.endswith("_fp") and not _COUNT.match(value):
            errors.append(f"{p}: {value!r} is not a 2-dp count string")
    return errors


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "number"
    return type(v).__name__


def legacy_errors(doc: dict[str, Any], samples: list[dict[str, Any]], path: str = "") -> list[str]:
    """Every key the legacy samples always carry is present, with a JSON type seen for it there
    (null accepted where some sample has null; ints accepted where samples have numbers)."""
    errors: list[str] = []
    common = set.intersection(*(set(s) for s in samples))
    for key in sorted(common):
        p = f"{path}.{key}" if path else key
        if key not in doc:
            errors.append(f"{p}: missing")
            continue
        seen = {_json_type(s[key]) for s in samples}
        got = _json_type(doc[key])
        if got == "null" and key in _nullable_in_reference():
            continue
        if got not in seen and not (got == "null" and "null" in seen):
            if got == "int" and "number" in seen:
                continue
            if "null" in seen and got != "null" and len(seen) == 1:
                continue  # always null in the samples: any value type is plausible
            errors.append(f"{p}: type {got}, samples have {sorted(seen)}")
        if isinstance(doc[key], dict) and all(isinstance(s[key], dict) for s in samples):
            errors.extend(legacy_errors(doc[key], [s[key] for s in samples], p))
    return errors
