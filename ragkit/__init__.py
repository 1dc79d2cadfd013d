"""ragkit: hybrid retrieval over long structured documents, measured against agentic search."""

__version__ = "0.1.0"
