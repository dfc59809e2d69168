"""Large CSV files for the upload limits, built on disk by repeating a sample's rows."""

import csv
import io
from pathlib import Path

MIB = 1024 * 1024


def _rows(sample: Path) -> tuple[bytes, list[bytes]]:
    """The sample's header line and its data rows, each as CSV-encoded bytes."""
    with sample.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        records = list(reader)
    encoded = []
    for record in records:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(record)
        encoded.append(buffer.getvalue().encode("utf-8"))
    return encoded[0], encoded[1:]


def repeat_csv(sample: Path, target: Path, size_bytes: int) -> Path:
    """Write `target`: the sample's header, then its rows over and over, ending on a whole
    row, with a size of at most `size_bytes` and within one row of it."""
    header, rows = _rows(sample)
    block = b"".join(rows)
    written = 0
    with target.open("wb") as out:
        out.write(header)
        written += len(header)
        while written + len(block) <= size_bytes:
            out.write(block)
            written += len(block)
        for row in rows:
            if written + len(row) > size_bytes:
                break
            out.write(row)
            written += len(row)
    return target
