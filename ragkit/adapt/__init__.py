"""Unsupervised domain adaptation (`ragkit adapt`): training pairs mined from a corpus's own
structure (headings, titles, tables, references, inverse cloze) fine-tune the bi-encoder and
a cross-encoder reranker, with no labels and no questions."""

from ragkit.adapt.api import MANIFEST, AdaptConfig, adapt, adapt_reranker, read_manifest
from ragkit.adapt.bi_encoder import BiEncoderConfig, TrainResult, train_bi_encoder
from ragkit.adapt.corpus import corpus_hash, load_corpus
from ragkit.adapt.mining import MiningConfig, mine_pairs, pair_counts
from ragkit.adapt.pairs import PAIR_KINDS, AdaptPair

__all__ = [
    "MANIFEST",
    "PAIR_KINDS",
    "AdaptConfig",
    "AdaptPair",
    "BiEncoderConfig",
    "MiningConfig",
    "TrainResult",
    "adapt",
    "adapt_reranker",
    "corpus_hash",
    "load_corpus",
    "mine_pairs",
    "pair_counts",
    "read_manifest",
    "train_bi_encoder",
]
