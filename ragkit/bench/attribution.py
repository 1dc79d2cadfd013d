"""Cascading-failure attribution: for one gold evidence item, the first pipeline stage that
lost it, read from the pipeline's `Trace`.

Stages, in order:
- `chunking`: no chunk of the index contains the evidence whole (the caller says so with
  `in_corpus=False`), so no retriever could have found it;
- retrieval: the entries the pipeline marks `info["role"] == "retriever"` (older traces:
  those named `bm25`/`sparse`/`dense`) are taken together: the item is lost here only when
  *every* retriever the trace ran missed it. The label then names them and their depth:
  `sparse@100` (BM25), `dense@100`, `sparse+dense@100`, or the retriever's own name for any
  other retriever. Which retrievers did find it is kept in `found_by`;
- every later stage, by the name the trace gives it: `fusion` (in a candidate list but cut
  by fusion), `routing` (cut when routing's boosts re-ranked the fused list), `expansion`,
  `reranking` (the `rerank` entry), or a new stage's own name;
- `kept`: in the final output (its top `final_k` when given).

Later stages are walked in trace order; an item cut and later restored (e.g. fusion cuts it,
reference expansion brings it back) is not lost at the earlier stage. Entries that carry no
candidates by role (`decision`: the routing decision; `generator`) are ignored; a routing
*filter* acts inside retrieval, so evidence it excludes is lost at retrieval.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ragkit.types import StageRecord, Trace

__all__ = [
    "SPARSE_STAGES",
    "DENSE_STAGES",
    "LATER_STAGES",
    "Attribution",
    "attribute",
    "count_stages",
    "sort_stage_labels",
    "STAGE_ORDER",
]

#: Trace stage names read as sparse and as dense retrieval.
SPARSE_STAGES: frozenset[str] = frozenset({"bm25", "sparse"})
DENSE_STAGES: frozenset[str] = frozenset({"dense"})
#: Trace entry roles that are neither retrieval nor a ranking stage.
IGNORED_ROLES: frozenset[str] = frozenset({"decision", "generator"})
#: Display labels of post-retrieval stages (any other stage is labelled by its own name).
LATER_STAGES: Mapping[str, str] = {
    "fusion": "fusion",
    "routing": "routing",
    "fuse": "fusion",
    "expand": "expansion",
    "expansion": "expansion",
    "rerank": "reranking",
    "reranker": "reranking",
    "reranking": "reranking",
}
#: Display order of failure-stage labels (retrieval labels carry a depth and sort by prefix).
STAGE_ORDER: tuple[str, ...] = (
    "chunking",
    "sparse",
    "dense",
    "sparse+dense",
    "retrieval",
    "fusion",
    "routing",
    "expansion",
    "reranking",
    "kept",
)


@dataclass(frozen=True, slots=True)
class Attribution:
    """Where one evidence item was lost (or `kept`), with the ranks it had on the way.

    `found_by` names the retrievers whose candidates held it; `ranks` maps each stage that
    held it to its best (smallest) rank there.
    """

    stage: str
    found_by: tuple[str, ...] = ()
    ranks: dict[str, int] = field(default_factory=dict)

    @property
    def kept(self) -> bool:
        """Whether the item survived to the final output."""
        return self.stage == "kept"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {"stage": self.stage, "found_by": list(self.found_by), "ranks": dict(self.ranks)}


def _best_rank(
    record: StageRecord, contains: Callable[[str], bool], limit: int | None = None
) -> int | None:
    ranks = [
        rank
        for cid, rank, _ in record.hits_out
        if (limit is None or rank <= limit) and contains(cid)
    ]
    return min(ranks) if ranks else None


def _depth(records: Sequence[StageRecord]) -> int:
    depths = [int(r.info.get("depth", len(r.hits_out))) for r in records]
    return max(depths, default=0)


def attribute(
    trace: Trace,
    contains: Callable[[str], bool],
    *,
    in_corpus: bool = True,
    final_k: int | None = None,
    sparse_stages: Iterable[str] = SPARSE_STAGES,
    dense_stages: Iterable[str] = DENSE_STAGES,
    later_stages: Mapping[str, str] = LATER_STAGES,
) -> Attribution:
    """The first stage of `trace` that lost the evidence item `contains` recognises.

    `contains(chunk_id)` tells whether that chunk holds the item; `in_corpus` whether any
    chunk of the index does (False means chunking lost it). `final_k` cuts the last stage's
    output to what the system hands on. A trace with no retrieval stage blames the first
    recorded stage whose output lacks the item (e.g. `agent` for a single-stage agent).
    """
    if not in_corpus:
        return Attribution("chunking")
    sparse_names, dense_names = set(sparse_stages), set(dense_stages)

    def kind(record: StageRecord) -> str | None:
        """ "sparse"/"dense"/the retriever's name for a retrieval entry, else None."""
        if record.stage in sparse_names:
            return "sparse"
        if record.stage in dense_names:
            return "dense"
        return record.stage if record.info.get("role") == "retriever" else None

    relevant = [
        s
        for s in trace.stages
        if s.info.get("role") not in IGNORED_ROLES and s.stage not in ("route", "generate")
    ]
    if not relevant:
        relevant = trace.stages[-1:]
    if not relevant:
        return Attribution("retrieval")
    last = relevant[-1]
    ranks: dict[str, int] = {}

    def rank_in(record: StageRecord) -> int | None:
        limit = final_k if record is last else None
        rank = _best_rank(record, contains, limit)
        if rank is not None:
            ranks[record.stage] = min(rank, ranks.get(record.stage, rank))
        return rank

    retrieval: dict[str, list[StageRecord]] = {}
    for record in relevant:
        if (name := kind(record)) is not None:
            retrieval.setdefault(name, []).append(record)
    retrieval = dict(sorted(retrieval.items(), key=lambda kv: _RETRIEVER_ORDER.get(kv[0], 2)))
    found_by = []
    for name, records in retrieval.items():
        found = [rank_in(r) for r in records]  # every record: each fills `ranks`
        if any(rank is not None for rank in found):
            found_by.append(name)
    later = [r for r in relevant if kind(r) is None]
    if retrieval and not found_by:
        depth = _depth([r for records in retrieval.values() for r in records])
        return Attribution(f"{'+'.join(retrieval)}@{depth}", (), ranks)
    # With no retrieval stage recorded, the first recorded stage without it is blamed.
    alive = True
    lost_at: str | None = None
    for record in later:
        present = rank_in(record) is not None
        label = later_stages.get(record.stage, record.stage)
        if alive and not present:
            alive, lost_at = False, label
        elif present and not alive:
            alive, lost_at = True, None
    if alive:
        return Attribution("kept", tuple(found_by), ranks)
    return Attribution(lost_at or "retrieval", tuple(found_by), ranks)


_RETRIEVER_ORDER = {"sparse": 0, "dense": 1}


def count_stages(attributions: Iterable[Attribution]) -> dict[str, int]:
    """Counts per stage label, in pipeline order (chunking ... kept)."""
    counts = Counter(a.stage for a in attributions)
    return dict(sorted(counts.items(), key=lambda kv: _order_key(kv[0])))


def sort_stage_labels(labels: Iterable[str]) -> list[str]:
    """Distinct stage labels in pipeline order (chunking, retrieval, ..., kept)."""
    return sorted(set(labels), key=_order_key)


def _order_key(label: str) -> tuple[int, str]:
    prefix = label.split("@", 1)[0]
    try:
        return STAGE_ORDER.index(prefix), label
    except ValueError:
        return len(STAGE_ORDER), label
