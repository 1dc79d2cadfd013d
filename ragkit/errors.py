"""ragkit's error hierarchy: one base class, typed subclasses that also inherit the builtin.

Messages say what was received and what was expected, so a user can act on them.
"""

from __future__ import annotations


class RagkitError(Exception):
    """Base class of every error ragkit raises on purpose."""


class ConfigError(RagkitError, ValueError):
    """A parameter or configuration value is invalid (bad name, type or range)."""


class DependencyError(RagkitError, ImportError):
    """An optional dependency is missing; the message names the pip package to install."""


class ParseError(RagkitError, ValueError):
    """A document could not be parsed (malformed, binary, undecodable)."""


class EmptyDocumentError(ParseError):
    """A document holds no visible text."""


class EncryptedDocumentError(ParseError):
    """A document is password-protected (an encrypted PDF) and cannot be read without it."""


class UnsupportedFormatError(ParseError):
    """A file is not a format ragkit can parse (binary data, unknown type)."""


class DocumentTooLargeError(ParseError):
    """A document is larger than the configured size limit."""


class QueryError(RagkitError, ValueError):
    """A search request is invalid (empty query, k <= 0, unknown filter key)."""


class IndexFormatError(RagkitError, OSError):
    """An index folder is missing, corrupt, truncated, foreign or of a newer format."""


class IndexStateError(RagkitError, RuntimeError):
    """An index operation is not possible in the index's current state (e.g. empty index)."""


class ConcurrentModificationError(IndexStateError):
    """Another writer changed an index folder since this copy was loaded, or holds its lock."""


class SandboxError(RagkitError, PermissionError):
    """An agentic tool was asked to read outside its corpus root, or a non-regular file."""


class ToolTimeoutError(RagkitError, TimeoutError):
    """An agentic tool (e.g. a pathological regular expression) ran past its time limit."""


class ProviderError(RagkitError, RuntimeError):
    """A remote model API (Cohere, OpenAI-compatible) failed after retries."""


class AuthenticationError(ProviderError):
    """The remote API rejected the credentials (HTTP 401/403)."""


class RateLimitError(ProviderError):
    """The remote API kept answering 429 until the retry budget was spent."""


class ProviderTimeoutError(ProviderError, TimeoutError):
    """The remote API did not answer within the timeout, after retries."""


class DatasetError(RagkitError, ValueError):
    """A benchmark dataset file is malformed; the message names the file and line."""


class WorkerError(RagkitError, RuntimeError):
    """A distributed worker (a Ray actor or task) failed and its retries ran out."""


class TrainingStalledError(RagkitError, RuntimeError):
    """A fine-tuning run's loss did not fall; the model was saved but should not be used."""
