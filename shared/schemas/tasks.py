"""A background task (a fit) as the API shows it: state, progress and times."""

from datetime import datetime

from pydantic import BaseModel, Field

from shared.schemas.enums import TaskStatus

# The message of a task that a server's start-up recovery ended: the server had stopped
# (or died) while the task ran. Its `finished_at` is when the next start recorded that, not
# when the server stopped, so how long it ran is not known (`finished_at - started_at`
# would count the time the server was down).
INTERRUPTED_BY_RESTART = "interrupted by a restart"


class TaskRead(BaseModel):
    id: str
    kind: str = "fit"
    model_id: str | None  # null once the model is removed
    model_name: str | None = None  # the model's name and version at fit, kept after that
    model_version: int | None = None
    dataset_id: str | None = None  # null once the dataset is deleted
    status: TaskStatus
    progress: float = Field(ge=0.0, le=1.0)
    message: str
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    # while it runs: when it will finish if it goes on at its recent pace (None until its
    # reports say enough, and for work that reports no pace)
    expected_finish_at: datetime | None = None
    # where it runs ("local pid 1234", "dask tcp://10.0.0.5:40123") once it has started,
    # and the API replica that queued it
    worker: str | None = None
    replica: str | None = None


class TasksCleared(BaseModel):
    removed: int  # how many finished tasks were deleted
