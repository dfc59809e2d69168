"""Everything the routes need, built once at start-up and torn down at shutdown."""

import gc
import logging
from dataclasses import dataclass
from typing import IO

from app.core.db import hold_sqlite_registry
from app.core.settings import Settings
from app.registry.base import Registry
from app.registry.entities import TaskRecord
from app.registry.feedback import SqlFeedback
from app.registry.hard_examples import SqlHardExamples
from app.registry.prediction_log import SqlPredictionLog
from app.registry.prediction_statistics import SqlPredictionStatistics
from app.registry.replicas import SqlReplicas
from app.registry.retrievers import SqlRetrievers
from app.registry.sql import SqlRegistry
from app.services.aliases import AliasService
from app.services.batching import PredictBatcher
from app.services.bundles import BundleService
from app.services.chunk_scoring import ChunkScorers
from app.services.datasets import DatasetService
from app.services.default_retriever import DefaultRetriever
from app.services.defaults import DefaultModels
from app.services.drift import DriftService
from app.services.evaluation import EvaluationService
from app.services.feedback import FeedbackService
from app.services.feedback_retraining import FeedbackRetraining
from app.services.hard_examples import HardExampleService
from app.services.heartbeats import Heartbeat
from app.services.memory import LoadedModels
from app.services.models import ModelService
from app.services.predict_process import PredictProcess
from app.services.prediction_log import PredictionLog
from app.services.predictions import PredictionService
from app.services.replica_sync import ReplicaSync
from app.services.retrieval_queries import RetrievalQueries
from app.services.retriever_fits import FIT_TASK as RETRIEVER_FIT_TASK
from app.services.retriever_shards import RetrieverStorage
from app.services.retrievers import RetrieverService
from app.services.statistics import StatisticsService
from app.services.thresholds import ThresholdService
from app.services.training import TrainingService
from app.services.versions import VersionService
from app.tasks import dask_client
from app.tasks.dask_runner import DaskRunner

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    registry: Registry
    memory: LoadedModels
    datasets: DatasetService
    training: TrainingService
    models: ModelService
    predictions: PredictionService
    evaluation: EvaluationService
    defaults: DefaultModels
    aliases: AliasService
    versions: VersionService
    bundles: BundleService
    thresholds: ThresholdService
    retrievers: RetrieverService
    retrieval: RetrievalQueries
    default_retriever: DefaultRetriever
    statistics: StatisticsService
    feedback: FeedbackService
    feedback_retraining: FeedbackRetraining
    hard_examples: HardExampleService
    drift: DriftService
    replica_sync: ReplicaSync
    # held while the process lives: a second server on the same SQLite file is refused
    registry_lock: IO[str] | None = None
    # this replica's heartbeat over a shared registry (PostgreSQL); None on SQLite
    heartbeat: Heartbeat | None = None

    @classmethod
    def build(cls, settings: Settings) -> "Services":
        registry_lock = hold_sqlite_registry(settings.database_url)  # before any change
        # a database that cannot be reached yet was waited for before uvicorn started
        # (`python -m app`), where a stop can end the wait
        registry = SqlRegistry(settings.database_url, replica=settings.replica)
        # a SQLite registry serves one process; a shared one (PostgreSQL) may serve several
        # replicas, and each recovers and sweeps only its own work (services/sweeps.py)
        replica = settings.replica if registry.engine.dialect.name != "sqlite" else None
        heartbeat = (  # what tells a replica that stopped from one that runs
            Heartbeat(
                store=SqlReplicas(registry.engine),
                name=replica,
                interval_s=settings.replica_heartbeat_seconds,
                stale_s=settings.replica_stale_seconds,
            )
            if replica is not None
            else None
        )
        memory = LoadedModels()
        datasets = DatasetService(
            registry=registry,
            datasets_dir=settings.datasets_dir,
            max_columns=settings.max_dataset_columns,
            replica=replica,
        )
        models = ModelService(registry=registry, memory=memory, models_dir=settings.models_dir)
        training = TrainingService(
            registry=registry,
            datasets=datasets,
            models_dir=settings.models_dir,
            workers=settings.training_workers,
            idle_seconds=settings.training_idle_seconds,
            max_classes=settings.max_classes,
            memory_limit_mb=settings.training_memory_limit_mb,
            replica=replica,
            heartbeat=heartbeat,
            runner=(  # fits and retriever fits on the Dask workers (else the local pools)
                DaskRunner(settings.dask_scheduler_address, settings.database_url)
                if settings.task_executor == "dask" and settings.dask_scheduler_address
                else None
            ),
        )
        scorers = ChunkScorers(
            models_dir=settings.models_dir,
            chunk_rows=settings.predict_chunk_rows,
            dask_address=(
                settings.dask_scheduler_address if settings.task_executor == "dask" else None
            ),
            dask_min_rows=settings.dask_batch_min_rows,
        )
        evaluation = EvaluationService(models=models, datasets=datasets, scorers=scorers)
        statistics = StatisticsService(
            registry=registry, store=SqlPredictionStatistics(registry.engine)
        )
        retrievers = RetrieverService(
            registry=registry,
            store=SqlRetrievers(registry.engine),
            datasets=datasets,
            runner=training.runner,
            storage=RetrieverStorage(
                folder=settings.retrievers_dir,
                qdrant_url=settings.qdrant_url,
                qdrant_api_key=(
                    settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
                ),
            ),
        )
        logged = SqlPredictionLog(registry.engine)
        feedback_store = SqlFeedback(registry.engine)
        aliases = AliasService(registry=registry, models=models)
        prediction_log = PredictionLog(
            store=logged,
            enabled=settings.prediction_log,
            keep_texts=settings.prediction_log_texts,
            retention_days=settings.prediction_log_retention_days,
            queue_size=settings.prediction_log_queue,
            batch_size=settings.prediction_log_batch,
            interval_s=settings.prediction_log_interval_ms / 1000,
        )
        return cls(
            registry_lock=registry_lock,
            heartbeat=heartbeat,
            replica_sync=ReplicaSync(
                models=models,
                training=training,
                retrievers=retrievers,
                interval_s=settings.replica_sync_interval_ms / 1000,
            ),
            retrievers=retrievers,
            retrieval=RetrievalQueries(retrievers=retrievers, registry=registry),
            default_retriever=DefaultRetriever(
                demo_path=settings.qa_demo_data_path, retrievers=retrievers
            ),
            settings=settings,
            registry=registry,
            memory=memory,
            datasets=datasets,
            training=training,
            models=models,
            predictions=PredictionService(
                models=models,
                batcher=PredictBatcher(
                    process=PredictProcess(),
                    max_batch=settings.predict_max_batch,
                    max_wait_s=settings.predict_max_wait_ms / 1000,
                    max_in_flight=settings.predict_max_in_flight,
                ),
                max_texts=settings.max_predict_texts,
                chunk_rows=settings.predict_chunk_rows,
                formula_protection=settings.csv_formula_protection,
                log=prediction_log,
                scorers=scorers,
                max_columns=settings.max_dataset_columns,
            ),
            evaluation=evaluation,
            defaults=DefaultModels(
                demo_path=settings.demo_data_path,
                datasets=datasets,
                training=training,
                models=models,
            ),
            aliases=aliases,
            versions=VersionService(models=models, datasets=datasets, training=training),
            bundles=BundleService(registry=registry, models=models),
            thresholds=ThresholdService(models=models, evaluation=evaluation, aliases=aliases),
            statistics=statistics,
            drift=DriftService(
                statistics=statistics,
                models=models,
                evaluation=evaluation,
                models_dir=settings.models_dir,
                psi_threshold=settings.drift_psi_threshold,
                unknown_token_threshold=settings.drift_unknown_token_threshold,
                min_predictions=settings.drift_min_predictions,
            ),
            feedback=FeedbackService(
                models=models,
                store=feedback_store,
                predictions=logged,
                log=prediction_log,
                formula_protection=settings.csv_formula_protection,
                max_columns=settings.max_dataset_columns,
            ),
            feedback_retraining=FeedbackRetraining(
                models=models,
                datasets=datasets,
                training=training,
                evaluation=evaluation,
                aliases=aliases,
                store=feedback_store,
            ),
            hard_examples=HardExampleService(
                registry=registry,
                models=models,
                datasets=datasets,
                store=SqlHardExamples(registry.engine),
            ),
        )

    def cancel_task(self, task_id: str) -> TaskRecord:
        """Cancel a queued or running task, whichever service runs it (a classifier's fit,
        retrain or continuation, or a retriever's fit)."""
        task = self.registry.get_task(task_id)
        if task is not None and task.kind == RETRIEVER_FIT_TASK:
            return self.retrievers.fits.cancel(task_id)
        return self.training.cancel(task_id)

    def start(self) -> None:
        if self.heartbeat is not None:  # before the recovery, and before any task is queued
            self.heartbeat.start()
        self.datasets.clean_up()
        self.training.start()  # marks interrupted tasks failed before anything new runs
        self.models.clean_up()
        self.hard_examples.clean_up()
        self.models.reload_loaded()
        self.replica_sync.start()
        self.retrievers.start()
        self.predictions.batcher.start()
        self.predictions.log.start()
        if self.settings.default_models:
            self.defaults.prepare_in_background()
            self.default_retriever.prepare_in_background()
        else:
            self.defaults.ready.set()
            self.default_retriever.ready.set()
        _freeze_startup_objects()

    def stop(self) -> None:
        # no more waiting for a database that cannot be reached: what it would have
        # recorded, the next start's recovery does
        self.registry.stopping.set()
        self.defaults.stop()
        self.default_retriever.stop()
        self.replica_sync.stop()
        self.predictions.batcher.close()
        self.predictions.log.stop()  # writes what is queued, before the registry closes
        self.training.stop()
        self.retrievers.stop()
        if self.heartbeat is not None:  # once its tasks have ended: none is left to others
            self.heartbeat.stop()
        dask_client.close_all()
        self.registry.close()
        if self.registry_lock is not None:
            self.registry_lock.close()


def _freeze_startup_objects() -> None:
    """Keep the objects that live as long as the process (modules, the app, loaded models)
    out of the garbage collector's full passes. Under load the requests in flight keep
    getting promoted to the oldest generation, and each full pass over the ~200,000
    start-up objects stalled every request for 100-400 ms (the p99 of /predict)."""
    gc.collect()
    gc.freeze()
