"""The retrieval pipeline: named retrievers, then stages (route, fuse, expand, rerank, …),
then a generator; configured from Python or a YAML/JSON file (`PipelineConfig`).

    >>> pipe = HybridPipeline.from_index(index, {"k": 5, "fusion": {"method": "rrf"}})
    >>> hits, trace = pipe.retrieve("What was long-term debt in 2024?")
"""

from ragkit.pipeline.config import (
    ChunkerConfig,
    DynamicWeights,
    ExpansionConfig,
    FusionConfig,
    GeneratorConfig,
    IndexConfig,
    PipelineConfig,
    RerankerConfig,
    RetrievalConfig,
    RoutingConfig,
    load_config,
    stage_dicts,
)
from ragkit.pipeline.core import AnswerResult, HybridPipeline, Retrieval, load_index
from ragkit.pipeline.stages import (
    STAGES,
    Batch,
    Expand,
    Fuse,
    Rerank,
    Retrieve,
    Route,
    Stage,
    StageContext,
    register_stage,
    stages_from_dicts,
)

__all__ = [
    "STAGES",
    "AnswerResult",
    "Batch",
    "ChunkerConfig",
    "DynamicWeights",
    "ExpansionConfig",
    "Expand",
    "Fuse",
    "FusionConfig",
    "GeneratorConfig",
    "HybridPipeline",
    "IndexConfig",
    "PipelineConfig",
    "RerankerConfig",
    "Rerank",
    "Retrieval",
    "RetrievalConfig",
    "Retrieve",
    "Route",
    "RoutingConfig",
    "Stage",
    "StageContext",
    "load_config",
    "load_index",
    "register_stage",
    "stage_dicts",
    "stages_from_dicts",
]
