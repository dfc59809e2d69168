"""String constraints every store can keep: PostgreSQL refuses NUL characters in text, and
its columns have lengths (SQLite enforces neither), so both are checked at the boundary."""

from typing import Annotated

from pydantic import Field

NO_NUL = r"^[^\x00]*$"
# limits of the registry's columns (app/registry/tables.py)
MODEL_NAME_MAX = 100
DATASET_NAME_MAX = 200
FILENAME_MAX = 300
COLUMN_NAME_MAX = 300
ID_MAX = 64
INT32_MAX = 2**31 - 1

# an id as the body of a request names it (looked up, never stored)
IdText = Annotated[str, Field(min_length=1, max_length=ID_MAX, pattern=NO_NUL)]
ColumnName = Annotated[str, Field(min_length=1, max_length=COLUMN_NAME_MAX, pattern=NO_NUL)]
