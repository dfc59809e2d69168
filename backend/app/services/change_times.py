"""When this process last changed what it holds (a model loaded or let go, a retriever
opened or closed), so that the replica sync never undoes a change made here after the
registry state it read.

A load or an unload is two steps, this process's memory and then the registry's row; a
sync that read the registry between them would see the old row and undo the first step.
While such a change is under way (`changing`), the sync leaves its key alone, and the
change counts as made when its registry write is done."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class ChangeTimes:
    def __init__(self) -> None:
        self._at: dict[str, float] = {}  # time.monotonic() of the last change
        self._under_way: dict[str, int] = {}  # changes in progress (threads) per key
        self._lock = threading.Lock()

    def touch(self, key: str) -> None:
        """`key` changed here now."""
        with self._lock:
            self._at[key] = time.monotonic()

    @contextmanager
    def changing(self, key: str) -> Iterator[None]:
        """A change of `key` in several steps (memory, then the registry): untouchable by
        the sync until the last step is done, and changed as of then."""
        with self._lock:
            self._under_way[key] = self._under_way.get(key, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._at[key] = time.monotonic()
                left = self._under_way.pop(key) - 1
                if left:
                    self._under_way[key] = left

    def untouched_since(self, key: str, read_at: float) -> bool:
        """True when this process has neither changed `key` since `read_at` (a
        time.monotonic() taken before the registry was read) nor is changing it now:
        what was read may be acted on."""
        with self._lock:
            return key not in self._under_way and self._at.get(key, 0.0) < read_at
