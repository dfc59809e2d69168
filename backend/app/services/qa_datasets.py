"""A dataset read as QA data: per column, missing values and duplicates; contexts once."""

from app.core.errors import InvalidInputError
from app.ml.retrieval.qa_data import QaDataError, read_qa_frame
from app.services.retriever_fits import column_names
from app.services.retrievers import RetrieverService
from shared.schemas.retrieval import ColumnQuality, QaColumns, QaDatasetReport


def qa_report(retrievers: RetrieverService, dataset_id: str, columns: QaColumns) -> QaDatasetReport:
    retrievers.check_columns(dataset_id, columns)
    names = column_names(columns)
    try:
        frame = read_qa_frame(retrievers.datasets.file_path(dataset_id), names)
    except QaDataError as exc:
        raise InvalidInputError(str(exc)) from exc
    report = []
    for column in frame.columns:
        present = frame[column][frame[column] != ""]
        report.append(
            ColumnQuality(
                column=column,
                missing=int(len(frame) - len(present)),
                duplicates=int(present.duplicated().sum()),
                distinct=int(present.nunique()),
            )
        )
    contexts = frame[names.context]
    return QaDatasetReport(
        dataset_id=dataset_id,
        rows=len(frame),
        contexts=int(contexts[contexts != ""].nunique()),
        questions=int((frame[names.question] != "").sum()),
        columns=report,
    )
