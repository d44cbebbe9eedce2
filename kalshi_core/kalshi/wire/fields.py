"""Field readers shared by every Kalshi payload: prices, counts, times, bodies and pages.

Prices are `*_dollars` strings (up to 6 dp) or legacy integer cents, counts `*_fp` strings or
legacy integers, always read into `Decimal`; every failure is a `WireFieldError` naming the field,
turned into `KalshiResponseError` (endpoint + path) by the payload parsers. Frozen models are built
without re-validation (`_build`): the readers already applied the models' checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

import orjson
from pydantic import BaseModel

from kalshi_core.kalshi.errors import KalshiResponseError

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
_CACHE_MAX: Final = 200_000
_GO_ZERO_TIME_PREFIX: Final = "0001-01-01"
_MISSING: Final = object()
CANDLE_PERIODS: Final = (1, 60, 1440)


class WireFieldError(ValueError):
    """A single field is wrong; the page parser adds the endpoint and the item's position."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


M = TypeVar("M", bound=BaseModel)


# --- building frozen models without re-validation ---------------------------------------------

# BaseModel keeps its state in slots; writing them through the slot descriptors skips the frozen
# model's __setattr__ guard and object.__setattr__'s checks (this is what model_construct does).
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _builder(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """A constructor for `cls` that takes already-checked values and skips pydantic validation.

    `values` should hold every field; a missing one gets the model's default (or is an error if
    the field is required), so a field added to a model later cannot leave an instance half-built.
    """
    fields = set(cls.model_fields)
    n = len(fields)
    new = object.__new__

    def build(values: dict[str, Any]) -> M:
        if len(values) != n:
            for name, info in cls.model_fields.items():
                if name not in values:
                    if info.is_required():
                        raise WireFieldError(name, "missing required field")
                    values[name] = info.get_default(call_default_factory=True)
        obj: M = new(cls)
        _set_dict(obj, values)
        # Frozen models never mutate their fields-set, so one shared set per class is safe.
        _set_fields_set(obj, fields)
        _set_extra(obj, None)
        _set_private(obj, None)
        return obj

    return build


_BUILDERS: dict[type[BaseModel], Callable[[dict[str, Any]], Any]] = {}


def _build(cls: type[M], values: dict[str, Any]) -> M:
    """`_builder(cls)(values)`, with the builder made once per class."""
    b = _BUILDERS.get(cls)
    if b is None:
        b = _BUILDERS[cls] = _builder(cls)
    built: M = b(values)
    return built


# --- field readers ------------------------------------------------------------------------------

_price_cache: dict[Any, Decimal] = {}
# Keys are the wire strings; null and "" are seeded so the hot path needs no None test.
_dt_cache: dict[Any, datetime | None] = {None: None, "": None}


def _type_name(v: object) -> str:
    return "null" if v is None else type(v).__name__


def price_from_dollars(v: object, field: str) -> Decimal:
    """A `*_dollars` string -> Decimal in [0, 1]."""
    try:
        return _price_cache[v]
    except KeyError:
        pass
    except TypeError:  # unhashable (list/dict): certainly not a price
        raise WireFieldError(field, f"expected a dollar string, got {_type_name(v)}") from None
    if type(v) is not str:
        raise WireFieldError(field, f"expected a dollar string, got {_type_name(v)} {v!r}")
    try:
        p = Decimal(v)
    except InvalidOperation:
        raise WireFieldError(field, f"{v!r} is not a decimal number") from None
    if not p.is_finite() or p < ZERO or p > ONE:
        raise WireFieldError(field, f"price {v!r} is outside [0, 1] dollars")
    if len(_price_cache) < _CACHE_MAX:
        _price_cache[v] = p
    return p


def price_from_legacy(v: object, field: str) -> Decimal:
    """A legacy price: integer cents (56 -> 0.56), or a dollar string in the historical shapes."""
    if type(v) is int:
        if v < 0 or v > 100:
            raise WireFieldError(field, f"price {v} cents is outside [0, 100]")
        return Decimal(v).scaleb(-2)
    if type(v) is str:
        return price_from_dollars(v, field)
    raise WireFieldError(field, f"expected integer cents or a dollar string, got {_type_name(v)}")


def count_from_wire(v: object, field: str) -> Decimal:
    """A count: `*_fp` string ("10.00") or legacy integer (10); finite and >= 0."""
    t = type(v)
    if t is str:
        try:
            c = Decimal(v)  # type: ignore[arg-type]
        except InvalidOperation:
            raise WireFieldError(field, f"{v!r} is not a decimal number") from None
        if not c.is_finite() or c < ZERO:
            raise WireFieldError(field, f"count {v!r} must be a finite number >= 0")
        return c
    if t is int:
        if v < 0:  # type: ignore[operator]
            raise WireFieldError(field, f"count {v} must be >= 0")
        return Decimal(v)  # type: ignore[arg-type]
    raise WireFieldError(field, f"expected a count string or integer, got {_type_name(v)}")


def number_from_wire(v: object, field: str) -> Decimal:
    """A plain number Kalshi sends as JSON int/float or string (fee multipliers): exact Decimal."""
    t = type(v)
    if t is int:
        return Decimal(v)  # type: ignore[arg-type]
    if t is float:
        # repr of a float is its shortest round-trip text: 0.5 -> "0.5", not 0.5000000000000...
        d = Decimal(repr(v))
    elif t is str:
        try:
            d = Decimal(v)  # type: ignore[arg-type]
        except InvalidOperation:
            raise WireFieldError(field, f"{v!r} is not a number") from None
    else:
        raise WireFieldError(field, f"expected a number, got {_type_name(v)}")
    if not d.is_finite():
        raise WireFieldError(field, f"{v!r} is not a finite number")
    return d


def time_from_wire(v: object, field: str) -> datetime | None:
    """RFC 3339 text -> aware datetime; null, "" and Go's zero time (0001-01-01) -> None."""
    if v is None:
        return None
    try:
        return _dt_cache[v]
    except KeyError:
        pass
    except TypeError:
        raise WireFieldError(field, f"expected an RFC 3339 time, got {_type_name(v)}") from None
    if type(v) is not str:
        raise WireFieldError(field, f"expected an RFC 3339 time, got {_type_name(v)} {v!r}")
    if v == "" or v.startswith(_GO_ZERO_TIME_PREFIX):
        dt = None
    else:
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise WireFieldError(field, f"{v!r} is not an RFC 3339 time") from None
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise WireFieldError(field, f"{v!r} has no timezone (naive times are rejected)")
    if len(_dt_cache) < _CACHE_MAX:
        _dt_cache[v] = dt
    return dt


def time_from_unix(v: object, field: str) -> datetime:
    if type(v) is not int:
        raise WireFieldError(field, f"expected unix seconds (integer), got {_type_name(v)}")
    try:
        return datetime.fromtimestamp(v, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise WireFieldError(field, f"{v} is not a valid unix timestamp") from None


def _str(d: Mapping[str, Any], key: str) -> str:
    v = d.get(key)
    if type(v) is not str or not v:
        if v is None:
            raise WireFieldError(key, "missing required string")
        raise WireFieldError(key, f"expected a non-empty string, got {_type_name(v)} {v!r}")
    return v


def _opt_str(d: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    v = d.get(key)
    if v is None:
        return default
    if type(v) is not str:
        raise WireFieldError(key, f"expected a string, got {_type_name(v)}")
    return v


def _text(d: Mapping[str, Any], key: str) -> str:
    """An optional display string: null/missing -> ""."""
    v = d.get(key)
    if v is None:
        return ""
    if type(v) is not str:
        raise WireFieldError(key, f"expected a string, got {_type_name(v)}")
    return v


def _bool(d: Mapping[str, Any], key: str, default: bool = False) -> bool:
    v = d.get(key)
    if v is None:
        return default
    if type(v) is not bool:
        raise WireFieldError(key, f"expected true/false, got {_type_name(v)} {v!r}")
    return v


def _price(d: Mapping[str, Any], name: str, dollars_key: str) -> Decimal:
    v = d.get(dollars_key)
    if v is not None:
        return price_from_dollars(v, dollars_key)
    v = d.get(name)
    if v is None:
        raise WireFieldError(dollars_key, "missing required price")
    return price_from_legacy(v, name)


def _opt_price(d: Mapping[str, Any], name: str, dollars_key: str) -> Decimal | None:
    v = d.get(dollars_key)
    if v is not None:
        return price_from_dollars(v, dollars_key)
    v = d.get(name)
    if v is None:
        return None
    return price_from_legacy(v, name)


def _count(d: Mapping[str, Any], name: str, fp_key: str) -> Decimal:
    v = d.get(fp_key)
    if v is not None:
        return count_from_wire(v, fp_key)
    v = d.get(name)
    if v is None:
        return ZERO
    return count_from_wire(v, name)


def _dict(v: object, field: str) -> dict[str, Any]:
    if type(v) is not dict:
        raise WireFieldError(field, f"expected an object, got {_type_name(v)}")
    return v


def _list(v: object, field: str) -> list[Any]:
    if type(v) is not list:
        raise WireFieldError(field, f"expected an array, got {_type_name(v)}")
    return v


# --- bodies -------------------------------------------------------------------------------------


def load_body(body: bytes, endpoint: str) -> dict[str, Any]:
    """Parse a response body; it must be a JSON object."""
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        snippet = body[:80].decode("utf-8", "replace")
        raise KalshiResponseError(
            endpoint, f"body is not valid JSON ({exc}); {len(body)} bytes starting {snippet!r}"
        ) from None
    if type(obj) is not dict:
        raise KalshiResponseError(endpoint, f"expected a JSON object, got {_type_name(obj)}")
    return obj


def require_list(obj: Mapping[str, Any], key: str, endpoint: str) -> list[Any]:
    v = obj.get(key, _MISSING)
    if v is _MISSING:
        raise KalshiResponseError(endpoint, f"required key {key!r} is missing")
    if v is None:
        return []  # Go encodes an empty slice as null
    if type(v) is not list:
        raise KalshiResponseError(endpoint, f"{key}: expected an array, got {_type_name(v)}")
    return v


def require_cursor(obj: Mapping[str, Any], endpoint: str) -> str:
    """The next-page cursor; "" means the last page. The key itself must be present, so a body
    that lost it is an error rather than a listing silently taken as complete."""
    v = obj.get("cursor", _MISSING)
    if v is _MISSING:
        raise KalshiResponseError(endpoint, "required key 'cursor' is missing")
    if v is None:
        return ""
    if type(v) is not str:
        raise KalshiResponseError(endpoint, f"cursor: expected a string, got {_type_name(v)}")
    return v


def decode_page(body: bytes, endpoint: str, items_key: str) -> tuple[list[Any], str]:
    """A cursor-paginated page as decoded JSON: (the `items_key` array, next cursor)."""
    obj = load_body(body, endpoint)
    return require_list(obj, items_key, endpoint), require_cursor(obj, endpoint)


def parse_items(
    items: list[Any],
    key: str,
    endpoint: str,
    parse_one: Callable[[dict[str, Any]], M],
    offset: int = 0,
) -> list[M]:
    """Apply `parse_one` to every element, turning any field error into a `KalshiResponseError`
    that names the endpoint and the element (`offset`: index of items[0] in the page)."""
    out: list[M] = []
    append = out.append
    i = 0
    try:
        for i, item in enumerate(items):  # noqa: B007 (i names the failing element below)
            if type(item) is not dict:
                raise WireFieldError("", f"expected an object, got {_type_name(item)}")
            append(parse_one(item))
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, _where(key, i, items, exc, offset)) from None
    return out


def _where(key: str, i: int, items: list[Any], exc: WireFieldError, offset: int = 0) -> str:
    item = items[i] if i < len(items) else None
    tkr = item.get("ticker") or item.get("event_ticker") if isinstance(item, dict) else None
    label = f"{key}[{i + offset}]" + (f" ({tkr})" if isinstance(tkr, str) else "")
    return f"{label}.{exc.field}: {exc.message}" if exc.field else f"{label}: {exc.message}"
