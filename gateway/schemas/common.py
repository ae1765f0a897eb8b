"""Shapes shared by every route: the error body, pages of records."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, WithJsonSchema
from pydantic_core import core_schema

T = TypeVar("T")


class ErrorDetail(BaseModel):
    code: str = Field(description="stable snake_case code, e.g. not_found")
    message: str = Field(description="a French sentence for the user")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    error: ErrorDetail


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class Open(BaseModel):
    """A response record: the listed fields, and services may add more."""
    model_config = ConfigDict(extra="allow")


def no_null_defaults(schema: dict[str, Any]) -> None:
    """A patch field that may be absent but not null (`x: str = None`) shows no `default: null`: its
    schema would contradict itself, and tools send the default as a valid value."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and "anyOf" not in prop and prop.get("type") != "null":
            del prop["default"]


class Input(BaseModel):
    """A request body: unknown fields are refused (422)."""
    model_config = ConfigDict(extra="forbid", json_schema_extra=no_null_defaults)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the contract's error statuses (the error body)."""
    return {s: {"model": ErrorBody} for s in statuses}


STANDARD_ERRORS = errors(400, 401, 403, 404, 409, 422, 429, 503)


# ---- the limits the services enforce, stated where clients and tools read them ----------------------

def _years(first: int, last: int) -> str:
    """A regular expression of the years first..last (four digits)."""
    if (first, last) == (1900, 2200):
        return "(19[0-9]{2}|2[01][0-9]{2}|2200)"
    if (first, last) == (1970, 2200):
        return "(19[7-9][0-9]|2[01][0-9]{2}|2200)"
    if (first, last) == (2000, 2200):
        return "(2[01][0-9]{2}|2200)"
    raise ValueError(f"no pattern for the years {first}..{last}")


_MONTH_DAY = "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
# RFC 3339: seconds required, a fraction of up to 6 digits, Z or an offset
_CLOCK = "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"


def _checked_type(base: type, parse, schema: dict[str, Any]) -> type:
    """A type that parses with `parse` and shows `schema`: a class rather than `Annotated`, because
    FastAPI keeps only the bare type of an `Annotated` query parameter."""

    class Checked(base):
        check = staticmethod(parse)
        json_schema = schema

        @classmethod
        def __get_pydantic_core_schema__(cls, source, handler):
            return core_schema.no_info_plain_validator_function(
                parse, serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.isoformat()))

        @classmethod
        def __get_pydantic_json_schema__(cls, core, handler):
            return dict(schema)

    return Checked


def day_between(first: int, last: int, description: str = "a day, YYYY-MM-DD") -> type:
    """A day of the years first..last written exactly YYYY-MM-DD (no number of seconds, no other form)."""
    pattern = f"^{_years(first, last)}{_MONTH_DAY}$"

    def parse(value):
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            raise ValueError(f"Une date AAAA-MM-JJ entre {first} et {last} est attendue.")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("Cette date n'existe pas.") from None

    return _checked_type(date, parse, {"type": "string", "format": "date", "pattern": pattern,
                                       "description": description})


def instant_between(first: int, last: int, description: str = "an instant, ISO 8601 with its offset") -> type:
    """An instant with its offset (ISO 8601) in the years first..last."""
    pattern = f"^{_years(first, last)}{_MONTH_DAY}{_CLOCK}$"

    def parse(value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            raise ValueError(f"Un instant ISO 8601 avec décalage entre {first} et {last} est attendu.")
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("Cet instant n'existe pas.") from None

    return _checked_type(datetime, parse, {"type": "string", "format": "date-time", "pattern": pattern,
                                           "description": description})


def not_bool(value):
    if isinstance(value, bool):  # JSON true is not the number 1
        raise ValueError("Un nombre entier est attendu.")
    return value


# JSON true is not the number 1, nor are 1 or "yes" booleans: what the schema says, strictly
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]


def status_list_pattern(statuses: tuple[str, ...]) -> str:
    """`seen` or `seen,noshow` (spaces allowed around each)."""
    one = "(" + "|".join(statuses) + ")"
    return f"^ *{one}? *(, *{one}? *)*$"


def day_or_instant(first: int, last: int, description: str) -> type:
    """A day (YYYY-MM-DD) or an instant with its offset, in the years first..last; kept as written."""
    day, instant = day_between(first, last), instant_between(first, last)

    def parse(value):
        if not isinstance(value, str):
            raise ValueError("Une date AAAA-MM-JJ ou un instant ISO 8601 avec décalage est attendu.")
        for kind in (day, instant):
            try:
                kind.check(value)
                return value
            except ValueError:
                continue
        raise ValueError("Une date AAAA-MM-JJ ou un instant ISO 8601 avec décalage est attendu.")

    schema = {"anyOf": [day.json_schema, instant.json_schema], "description": description}
    return _checked_type(str, parse, schema)


WALL_TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _wall_time(value):
    if not isinstance(value, str) or not re.fullmatch(WALL_TIME_PATTERN, value):
        raise ValueError("Une heure HH:MM est attendue.")
    return value


WallTime = Annotated[str, AfterValidator(_wall_time),
                     WithJsonSchema({"type": "string", "pattern": WALL_TIME_PATTERN,
                                     "description": "a wall time HH:MM in the organisation's timezone"})]
