"""Tasks in SQL (a part of `SqlRegistry`, kept in a file of its own): every job's record,
and `finish_task`, the one conditional transaction that ends a task and sets its model."""

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, func, select, update
from sqlalchemy.orm import Session

from app.registry.entities import TaskRecord
from app.registry.tables import ModelRow, TaskRow
from shared.schemas import TaskStatus


class SqlTasks:
    replica: str | None  # SqlRegistry's: the API replica whose tasks these are

    def _session(self) -> AbstractContextManager[Session]:
        raise NotImplementedError  # SqlRegistry's

    def _stamped(self, task: TaskRecord) -> TaskRecord:
        """The task naming this replica, unless it names one already."""
        if task.replica is not None or self.replica is None:
            return task
        return task.model_copy(update={"replica": self.replica})

    def add_task(self, task: TaskRecord) -> TaskRecord:
        task = self._stamped(task)
        with self._session() as s:
            s.add(TaskRow(**task.model_dump()))
        return task

    def get_task(self, task_id: str) -> TaskRecord | None:
        with self._session() as s:
            row = s.get(TaskRow, task_id)
            return _task(row) if row else None

    def list_tasks(
        self,
        statuses: Iterable[TaskStatus] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[TaskRecord]:
        with self._session() as s:
            query = select(TaskRow).order_by(TaskRow.created_at.desc(), TaskRow.id)
            if statuses is not None:
                query = query.where(TaskRow.status.in_([str(x) for x in statuses]))
            return [_task(r) for r in s.scalars(query.limit(limit).offset(offset))]

    def count_tasks(self) -> int:
        with self._session() as s:
            return s.scalar(select(func.count()).select_from(TaskRow)) or 0

    def update_task(
        self, task_id: str, *, only_if: Iterable[TaskStatus] | None = None, **fields: Any
    ) -> TaskRecord | None:
        with self._session() as s:
            query = update(TaskRow).where(TaskRow.id == task_id)
            if only_if is not None:
                query = query.where(TaskRow.status.in_([str(x) for x in only_if]))
            if rowcount(s.execute(query.values(**fields))) == 0:
                return None
            row = s.get(TaskRow, task_id, populate_existing=True)
            return _task(row) if row else None

    def finish_task(
        self,
        task_id: str,
        *,
        from_statuses: Iterable[TaskStatus],
        status: TaskStatus,
        task_fields: dict[str, Any] | None = None,
        model_fields: dict[str, Any] | None = None,
    ) -> bool:
        # The conditional UPDATE decides the race: PostgreSQL locks the row and re-checks the
        # condition after a concurrent writer commits, SQLite runs one writer at a time.
        with self._session() as s:
            won = rowcount(
                s.execute(
                    update(TaskRow)
                    .where(
                        TaskRow.id == task_id, TaskRow.status.in_([str(x) for x in from_statuses])
                    )
                    .values(status=str(status), **(task_fields or {}))
                )
            )
            if not won:
                return False
            if model_fields:
                model_id = s.scalar(select(TaskRow.model_id).where(TaskRow.id == task_id))
                if model_id is not None:
                    query = update(ModelRow).where(ModelRow.id == model_id)
                    s.execute(query.values(**model_fields))
            return True

    def delete_finished_tasks(self) -> int:
        with self._session() as s:
            finished = [str(x) for x in TaskStatus if x.is_finished]
            return rowcount(s.execute(delete(TaskRow).where(TaskRow.status.in_(finished))))

    def count_tasks_by_status(self) -> dict[TaskStatus, int]:
        with self._session() as s:
            rows = s.execute(select(TaskRow.status, func.count()).group_by(TaskRow.status))
            return {TaskStatus(status): count for status, count in rows}


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE matched (an UPDATE's result is always a CursorResult)."""
    return cast("CursorResult[Any]", result).rowcount


def _task(row: TaskRow) -> TaskRecord:
    return TaskRecord.model_validate(row, from_attributes=True)
