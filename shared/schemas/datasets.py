"""A stored dataset as the API shows it, with a summary of its columns."""

from datetime import datetime

from pydantic import BaseModel


class ColumnInfo(BaseModel):
    name: str
    dtype: str
    missing: int


class DatasetRead(BaseModel):
    id: str
    name: str
    filename: str
    size_bytes: int
    sha256: str
    rows: int
    columns: list[ColumnInfo]
    duplicate_rows: int
    created_at: datetime
