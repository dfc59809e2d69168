"""A class label as the API carries it."""

from pydantic import StrictInt

# Labels keep the type they had in the CSV: integers stay integers, the rest are strings.
Label = StrictInt | str
