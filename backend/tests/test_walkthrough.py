"""The README's walkthrough script, end to end on the real Jigsaw sample."""

import subprocess
import sys

import pytest

from testkit.data import toxic_sample
from testkit.servers import REPO_ROOT


@pytest.mark.shared_data
def test_walkthrough_script_passes() -> None:
    sample = toxic_sample()
    if sample is None:
        pytest.skip("../shared/data/toxic_sample_20k.csv is not here (set SHARED_DATA_DIR)")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "walkthrough.py"), "--csv", str(sample)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "walkthrough passed" in result.stdout
