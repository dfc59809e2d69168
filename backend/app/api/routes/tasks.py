"""Training tasks over HTTP: list, get one, cancel, clear the finished ones."""

from collections.abc import Sequence

from fastapi import APIRouter, Response

from app.api.deps import ServicesDep, TaskId
from app.api.pages import TOTAL_HEADER_DOC, PageDep, set_total
from app.core.errors import NotFoundError
from shared.schemas import TaskRead, TasksCleared

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])


@router.get("/", response_model=list[TaskRead], responses={200: {"headers": TOTAL_HEADER_DOC}})
@router.get("", response_model=list[TaskRead], include_in_schema=False)  # no 307 for either
def list_tasks(services: ServicesDep, page: PageDep, response: Response) -> Sequence[TaskRead]:
    set_total(response, services.registry.count_tasks())
    return services.registry.list_tasks(limit=page.limit, offset=page.offset)


@router.delete("/", response_model=TasksCleared)
@router.delete("", response_model=TasksCleared, include_in_schema=False)
def clear_finished_tasks(services: ServicesDep) -> TasksCleared:
    """Delete the records of finished tasks (succeeded, failed, cancelled); queued and
    running ones stay. Models are not touched."""
    return TasksCleared(removed=services.registry.delete_finished_tasks())


@router.get("/{task_id}", response_model=TaskRead)
def get_task(task_id: TaskId, services: ServicesDep) -> TaskRead:
    task = services.registry.get_task(task_id)
    if task is None:
        raise NotFoundError(f"task {task_id} not found")
    return task


@router.post("/{task_id}/cancel", status_code=202, response_model=TaskRead)
def cancel_task(task_id: TaskId, services: ServicesDep) -> TaskRead:
    """Stop a queued or running task (a model's fit or a retriever's): its worker is
    terminated, it ends `cancelled`, and nothing it wrote stays."""
    return services.cancel_task(task_id)
