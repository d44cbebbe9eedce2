"""Where the tests' Kalshi reference material comes from: all of it inside the checkout or the venv.

- `SAMPLES`, `OPENAPI`: real recorded payloads and the OpenAPI 3.13 document, committed under
  tests/fixtures/kalshi (origins and checksums in its README), so a bare clone runs every test.
- `sdk_models()`: the generated pydantic models of the official SDK (kalshi-python-sync 3.34.0,
  the current API), a test-only dependency installed by scripts/install-sdk.sh (`make setup`).
- `field_reference()`: those models turned into the field reference the conformance checks read:
  for each model reachable from the market-data responses, every field's JSON type
  ("str | null", "list[Market]", "datetime (RFC3339 string)"...), whether it is required, and
  its enum values; enum classes map to their values.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import types
from datetime import datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kalshi"
SAMPLES = FIXTURES / "samples"
OPENAPI = FIXTURES / "openapi.yaml"

SDK_VERSION = "3.34.0"

# The responses of the market-data endpoints the workbench and the simulator speak; the
# reference holds these and every model their fields refer to.
RESPONSE_MODELS = (
    "GetMarketsResponse",
    "GetMarketResponse",
    "GetEventsResponse",
    "GetEventResponse",
    "GetSeriesResponse",
    "GetSeriesListResponse",
    "GetTradesResponse",
    "GetMarketCandlesticksResponse",
    "GetMarketCandlesticksHistoricalResponse",
    "BatchGetMarketCandlesticksResponse",
    "GetEventCandlesticksResponse",
    "GetMarketOrderbookResponse",
    "GetMarketOrderbooksResponse",
    "GetHistoricalCutoffResponse",
    "ExchangeStatus",
    "ErrorResponse",
    "GetAccountEndpointCostsResponse",
    "GetAccountApiLimitsResponse",
)

# The generator writes each enum as a field validator `if value not in set([...])`; the values
# exist nowhere else in the models (the annotation is plain StrictStr).
_ENUM_VALUES = re.compile(r"not in set\((\[[^\]]*\])\)")


def sdk_models() -> types.ModuleType:
    """`kalshi_python_sync.models`. Missing SDK fails the test (never skips it): conformance
    without the reference would pass vacuously."""
    try:
        sdk = importlib.import_module("kalshi_python_sync")
        models = importlib.import_module("kalshi_python_sync.models")
    except ImportError:
        pytest.fail("kalshi-python-sync is not installed: run scripts/install-sdk.sh (make setup)")
    version = getattr(sdk, "__version__", None)
    if version != SDK_VERSION:
        pytest.fail(f"kalshi-python-sync {version} installed, the reference is {SDK_VERSION}")
    return models


def _type_name(annotation: Any, refs: set[type]) -> str:
    """The annotation as the reference writes it; models and enums met are added to `refs`."""
    origin = get_origin(annotation)
    if origin is Annotated:  # StrictStr and friends: the strictness is implied by the JSON type
        return _type_name(get_args(annotation)[0], refs)
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        parts = [_type_name(a, refs) for a in args if a is not type(None)]
        if type(None) in args:
            parts.append("null")
        return " | ".join(parts)
    if origin is list:
        return f"list[{_type_name(get_args(annotation)[0], refs)}]"
    if origin is dict:
        key, value = get_args(annotation)
        return f"dict[{_type_name(key, refs)}, {_type_name(value, refs)}]"
    if annotation is Any:
        return "any"
    if annotation is datetime:
        return "datetime (RFC3339 string)"
    if annotation in (str, int, float, bool):
        return str(annotation.__name__)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        refs.add(annotation)
        return f"{annotation.__name__} (enum)"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        refs.add(annotation)
        return annotation.__name__
    raise TypeError(f"field type {annotation!r} has no reference spelling")


def _model_spec(model: type[BaseModel], refs: set[type]) -> dict[str, Any]:
    enums: dict[str, list[Any]] = {}
    for decorator in model.__pydantic_decorators__.field_validators.values():
        found = _ENUM_VALUES.search(inspect.getsource(decorator.func))
        if found:
            for name in decorator.info.fields:
                enums[name] = ast.literal_eval(found.group(1))
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        spec: dict[str, Any] = {
            "type": _type_name(info.annotation, refs),
            "required": info.is_required(),
        }
        if name in enums:
            spec["enum"] = enums[name]
        fields[info.alias or name] = spec
    return {"fields": fields}


@cache
def field_reference() -> dict[str, Any]:
    """`{"models": {name: {"fields": {field: {"type", "required", "enum"?}}} | {"enum": [...]}}}`
    for the market-data responses of the installed SDK and every model they refer to."""
    sdk = sdk_models()
    models: dict[str, Any] = {}
    todo: list[type] = [getattr(sdk, name) for name in RESPONSE_MODELS]
    while todo:
        cls = todo.pop()
        if cls.__name__ in models:
            continue
        if issubclass(cls, Enum):
            models[cls.__name__] = {"enum": [member.value for member in cls]}
            continue
        assert issubclass(cls, BaseModel), cls
        refs: set[type] = set()
        models[cls.__name__] = _model_spec(cls, refs)
        todo.extend(refs)
    return {"models": models}
