"""`PipelineConfig`: the pipeline as a YAML/JSON/dict config, validated, and mapped one
section to one stage by `stage_dicts` (retrieval [+ routing] → retrieve, routing → route,
fusion → fuse, expansion → expand, reranker → rerank; generator and chunker are not stages).

Configs written for the two-retriever pipeline keep working: `retrieval.mode` picks
retrievers ("bm25", "dense" or both) and a two-number `fusion.weights` is read in retriever
order. New configs name retrievers (`retrieval.retrievers`) and key weights by name.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ragkit.errors import ConfigError, QueryError
from ragkit.fusion import FUSION_METHODS, method_params
from ragkit.indexes.filters import validate as validate_filters
from ragkit.rerankers.base import RERANKERS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class ChunkerConfig(_Strict):
    """Which chunker builds the index from documents, with its parameters."""

    name: Literal["hierarchical", "naive"] = "hierarchical"
    params: dict[str, Any] = Field(default_factory=dict)


class IndexConfig(_Strict):
    """Where the hybrid index lives (a folder written by `ragkit index`) and how to build it."""

    path: str | None = None
    model: str | None = None
    #: encode queries with an int8 copy of the model on CPU (`Embedder(query_int8=True)`)
    query_int8: bool = False
    #: the encoder backend `HybridPipeline.build` encodes with (None: the embedder's default,
    #: onnx-int8 on CPU when onnxruntime is installed); a loaded index's queries switch to it
    #: when its vectors are interchangeable (torch / onnx float32), else it is refused
    backend: Literal["torch", "onnx", "onnx-int8"] | None = None


class RetrievalConfig(_Strict):
    """Which retrievers run and how many candidates each returns (`depth`, not the output k).

    `retrievers` names them (default: every retriever the pipeline is given, in order);
    `mode` is the older spelling for a BM25 + dense index ("bm25", "dense" or "hybrid").
    """

    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"
    retrievers: list[str] | None = None
    depth: int = Field(100, gt=0, le=10_000)

    @model_validator(mode="after")
    def _one_way(self) -> RetrievalConfig:
        if self.retrievers is not None and self.mode != "hybrid":
            raise ValueError("give retrieval.retrievers or retrieval.mode, not both")
        if self.retrievers is not None and not self.retrievers:
            raise ValueError("retrieval.retrievers is empty; name at least one retriever")
        return self

    def names(self, available: list[str]) -> list[str]:
        """The retrievers to run, from those available."""
        if self.retrievers is not None:
            return list(self.retrievers)
        if self.mode == "hybrid":
            return list(available)
        return [self.mode]


class DynamicWeights(_Strict):
    """(sparse, dense) weights per query kind, chosen by `ragkit.fusion.classify_query`."""

    specific: tuple[float, float] = (0.7, 0.3)
    conceptual: tuple[float, float] = (0.4, 0.6)
    mixed: tuple[float, float] = (0.5, 0.5)


class FusionConfig(_Strict):
    """Fusion method, its parameters, and fixed or query-dependent (dynamic) weights.

    `weights`: retriever name -> weight (unnamed retrievers get 1.0), or one number per
    retriever in order. `sparse`: the retrievers that take the sparse weight of a dynamic pair.
    """

    method: str = "rrf"
    params: dict[str, Any] = Field(default_factory=dict)
    weights: dict[str, float] | list[float] | None = None
    dynamic: bool = False
    dynamic_weights: DynamicWeights = Field(default_factory=DynamicWeights)
    sparse: list[str] = Field(default_factory=lambda: ["bm25"])

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in FUSION_METHODS:
            raise ValueError(
                f"unknown fusion method {value!r}; expected one of {sorted(FUSION_METHODS)}"
            )
        return value


class ExpansionConfig(_Strict):
    """Reference expansion: add the chunks of sections that top hits link to ("See Note 12")."""

    enabled: bool = False
    top: int = Field(5, gt=0)
    discount: float = Field(0.5, gt=0, le=1)
    max_per_link: int = Field(3, gt=0)


class RerankerConfig(_Strict):
    """A reranker spec ("cross-encoder:PATH", "cohere:rerank-v3.5"), how many it rescores."""

    spec: str
    depth: int = Field(50, gt=0)
    params: dict[str, Any] = Field(default_factory=dict)
    #: weight of the incoming (fused) score mixed into the reranker's; see
    #: `ragkit.rerankers.base.blend_with_incoming`. 0: the reranker's order alone.
    blend: float = Field(0.0, ge=0.0, le=1.0)
    #: "residual" (default): a query routing filtered to its documents reaches the reranker
    #: without the words that named them (`ragkit.routing.residual.residual_query`), which
    #: hold in every candidate alike; "question": the question as asked.
    query: Literal["question", "residual"] = "residual"
    #: over routed candidates, add the routing decision's document and statement boosts to
    #: the reranker's (min-max normalised) scores, as the route stage adds them to retrieval's:
    #: a reranker reads one passage at a time and cannot know which statement a question needs
    #: (nor, reading the residual question, which period); False: its order alone
    keep_routing: bool = True

    @field_validator("spec")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kind = value.partition(":")[0]
        if kind not in RERANKERS:
            raise ValueError(f"unknown reranker {kind!r}; expected one of {sorted(RERANKERS)}")
        return value


class GeneratorConfig(_Strict):
    """A generator spec ("extractive", "cohere[:MODEL]", "openai[:MODEL]") and its options."""

    spec: str = "extractive"
    contexts: int = Field(5, gt=0)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("spec")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from ragkit.generators import GENERATORS

        if value.partition(":")[0] not in GENERATORS:
            raise ValueError(f"unknown generator {value!r}; expected one of {list(GENERATORS)}")
        return value


class RoutingConfig(_Strict):
    """Query routing (`ragkit.routing`): the company a question names becomes a doc_id filter
    on both retrievers, its period and form boost their filings; a filter that leaves fewer
    than `min_hits` (default: k) candidates falls back to the whole index. `enabled` "auto"
    (default) routes when the index holds filings of two or more companies. A question that
    needs a financial statement boosts that statement's chunks by `statement_boost` and adds
    those of its preferred filing to the candidates (0 turns this off)."""

    enabled: bool | Literal["auto"] = "auto"
    min_confidence: float = Field(0.8, ge=0.0, le=1.0)
    boost: float = Field(0.3, ge=0.0)
    statement_boost: float = Field(1.0, ge=0.0)
    narrow: bool = True
    min_chunks: int = Field(10, ge=0)
    min_hits: int | None = Field(None, gt=0)
    metadata_file: str | None = None

    def router_params(self) -> dict[str, Any]:
        """The `ragkit.routing.Router` parameters this section sets."""
        from ragkit.routing.router import ROUTER_PARAMS

        return {name: getattr(self, name) for name in ROUTER_PARAMS}


class PipelineConfig(_Strict):
    """The whole pipeline; unknown stages or keys are rejected."""

    k: int = Field(10, gt=0)
    chunker: ChunkerConfig = Field(default_factory=ChunkerConfig)
    index: IndexConfig = Field(default_factory=IndexConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    expansion: ExpansionConfig = Field(default_factory=ExpansionConfig)
    reranker: RerankerConfig | None = None
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    #: a finance lexicon file (`ragkit.lexicon.Lexicon.load`) for routing and the query
    #: classifier; None: the packaged `ragkit/data/finance.yaml`
    lexicon: str | None = None
    #: metadata filters applied to every search (`ragkit.indexes.filters`: values, lists,
    #: ranges such as {"fiscal_year": {">=": 2020}}); a search's own filters win per key
    filters: dict[str, Any] | None = None

    @field_validator("filters")
    @classmethod
    def _filters_shape(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        try:
            validate_filters(value)
        except QueryError as exc:  # -> the config's ValidationError
            raise ValueError(str(exc)) from exc
        return value


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(config)"
        if err["type"] == "extra_forbidden":
            msg = f"unknown key (stage or parameter) {where!r}"
        else:
            msg = f"{where}: {err['msg']} (got {_short(err.get('input'))})"
        lines.append(msg)
    return "invalid pipeline config: " + "; ".join(lines)


#: Largest pipeline config file read (bytes); real configs are a few hundred bytes.
MAX_CONFIG_BYTES = 1_000_000


def _short(value: Any) -> str:
    """A bounded repr for error messages: never the whole of a huge (or alias-bombed) value."""
    short = reprlib.Repr()
    short.maxstring = short.maxother = 80
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 6
    short.maxlevel = 2
    text = short.repr(value)
    return text if len(text) <= 120 else text[:119] + "…"


def read_config_file(path: Path) -> dict[str, Any]:
    """The mapping in a .yaml/.yml/.json config file; any problem is a `ConfigError`.

    YAML aliases (`*name`) are refused: expanding them is how a few hundred bytes become
    gigabytes (a "billion laughs"), and a pipeline config has no need for them.
    """
    if not path.is_file():
        raise ConfigError(f"pipeline config file {str(path)!r} not found")
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"pipeline config {str(path)!r} is {size:,} bytes; expected at most "
            f"{MAX_CONFIG_BYTES:,} (a config file, not data)"
        )
    try:
        text = path.read_bytes().decode("utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else _load_yaml(text)
    except ConfigError as exc:
        raise ConfigError(f"pipeline config {str(path)!r}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"pipeline config {str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except ValueError as exc:  # json.JSONDecodeError
        raise ConfigError(f"pipeline config {str(path)!r} is not valid: {exc}") from None
    except Exception as exc:  # yaml.YAMLError, RecursionError from absurd nesting
        raise ConfigError(
            f"pipeline config {str(path)!r} is not valid YAML: {_short(str(exc))}"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"pipeline config {str(path)!r} must hold a mapping, got {type(data).__name__}"
        )
    return data


def _load_yaml(text: str) -> Any:
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        """`yaml.SafeLoader` that refuses aliases before expanding any."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise ConfigError(
                    f"YAML alias at line {mark.line + 1}: aliases (*name) are not allowed in "
                    "a pipeline config; write the value out"
                )
            return super().compose_node(parent, index)

    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def load_config(source: PipelineConfig | Mapping[str, Any] | str | Path | None) -> PipelineConfig:
    """A validated PipelineConfig from a config object, a dict, or a .yaml/.yml/.json file."""
    if source is None:
        return PipelineConfig()
    if isinstance(source, PipelineConfig):
        return source
    if isinstance(source, str | Path):
        source = read_config_file(Path(source))
    if not isinstance(source, Mapping):
        raise ConfigError(f"pipeline config must be a mapping or a file path, got {_short(source)}")
    try:
        config = PipelineConfig.model_validate(dict(source))
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    allowed = method_params(config.fusion.method)
    unknown = sorted(set(config.fusion.params) - set(allowed))
    if unknown:
        raise ConfigError(
            f"invalid pipeline config: fusion.params {unknown} are not parameters of "
            f"{config.fusion.method!r}; it accepts {allowed}"
        )
    return config


def stage_dicts(
    config: PipelineConfig, retrievers: list[str], routing: bool
) -> list[dict[str, Any]]:
    """The stages a config describes, as `ragkit.pipeline.stages` dicts, one per section.

    `retrievers` are the names the pipeline was given; `routing` says whether routing runs
    (its "auto" setting is resolved by the caller, which knows the corpus).
    """
    names = config.retrieval.names(retrievers)
    retrieve: dict[str, Any] = {
        "stage": "retrieve",
        "retrievers": names,
        "depth": config.retrieval.depth,
    }
    stages: list[dict[str, Any]] = [retrieve]
    if routing:
        retrieve["routing"] = {
            **config.routing.router_params(),
            "min_hits": config.routing.min_hits,
        }
    if len(names) > 1:
        f = config.fusion
        dyn = f.dynamic_weights
        stages.append(
            {
                "stage": "fuse",
                "method": f.method,
                "params": dict(f.params),
                "weights": f.weights,
                "dynamic": f.dynamic,
                "sparse": list(f.sparse),
                "dynamic_weights": {
                    "specific": dyn.specific,
                    "conceptual": dyn.conceptual,
                    "mixed": dyn.mixed,
                },
            }
        )
    if routing:
        stages.append({"stage": "route"})
    if config.expansion.enabled:
        e = config.expansion
        stages.append(
            {
                "stage": "expand",
                "top": e.top,
                "discount": e.discount,
                "max_per_link": e.max_per_link,
            }
        )
    if config.reranker is not None:
        rr = config.reranker
        stages.append(
            {
                "stage": "rerank",
                "spec": rr.spec,
                "depth": rr.depth,
                "blend": rr.blend,
                "query": rr.query,
                "keep_routing": rr.keep_routing,
                "params": dict(rr.params),
            }
        )
    return stages
