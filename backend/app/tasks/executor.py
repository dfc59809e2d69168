"""What the services need of whatever runs their jobs: the local process pools
(`runner.TrainingRunner`, TASK_EXECUTOR=local) or a Dask cluster (`dask_runner.DaskRunner`,
TASK_EXECUTOR=dask). Both call `on_done(task_id, future)` once per job, with a
`concurrent.futures.Future` that holds its result, its exception or its cancellation."""

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from app.ml.training import TrainResult, TrainSpec

DoneHandler = Callable[[str, "Future[TrainResult]"], None]


class Runner(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def check_reachable(self) -> None:
        """Return when a job submitted now would be taken; raise `SchedulerUnreachableError`
        (a 503) when it would not: the Dask scheduler does not answer (yet)."""
        ...

    def submit(self, task_id: str, spec: TrainSpec, on_done: DoneHandler) -> "Future[TrainResult]":
        """Run a classifier's fit (a fit, a retrain, a continuation)."""
        ...

    def submit_call(
        self,
        task_id: str,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        on_done: Callable[[str, "Future[Any]"], None],
    ) -> "Future[Any]":
        """Run another module-level job that reports like a fit (a retriever's fit)."""
        ...

    def cancel(self, task_id: str) -> bool:
        """Stop a queued or running job; False when it is not (or no longer) this runner's."""
        ...

    def task_ids(self) -> list[str]:
        """The tasks whose jobs this runner holds, queued or running."""
        ...

    def pools_running(self) -> list[str]:
        """Where jobs can run now (for tests and logs)."""
        ...
