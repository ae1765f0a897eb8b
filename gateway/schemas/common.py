"""Shapes shared by every route: the error body, pages of records."""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

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


class Input(BaseModel):
    """A request body: unknown fields are refused (422)."""
    model_config = ConfigDict(extra="forbid")


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the contract's error statuses (the error body)."""
    return {s: {"model": ErrorBody} for s in statuses}


STANDARD_ERRORS = errors(400, 401, 403, 404, 409, 422, 429, 503)
