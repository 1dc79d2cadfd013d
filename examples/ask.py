"""Ask a question over a few documents with the hybrid pipeline and print a cited answer.

Run: `.venv/bin/python examples/ask.py [DOCS_DIR] ["question"]`. Without arguments it writes
a two-section 10-K excerpt to a temporary folder and asks about its debt note. Set
`generator` to "cohere" (CO_API_KEY) or "openai:MODEL" (OPENAI_API_KEY or a local server's
base_url) for an LLM answer; the extractive generator runs offline.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ragkit.pipeline import HybridPipeline

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SAMPLE = """# Item 7. Management's Discussion and Analysis

Total net revenue increased 8% to $4.2 billion, driven by subscription growth.
For the maturities of our senior notes, see Note 12.

# Item 8. Financial Statements

## Note 12 - Debt

Long-term debt consisted of $1.5 billion of 4.5% senior notes due 2029.
"""


def main() -> None:
    if len(sys.argv) > 1:
        docs = Path(sys.argv[1])
    else:
        docs = Path(tempfile.mkdtemp()) / "acme-10k.md"
        docs.write_text(SAMPLE, encoding="utf-8")
    question = sys.argv[2] if len(sys.argv) > 2 else "When are the senior notes due?"
    config = {
        "k": 5,
        "fusion": {"method": "rrf", "dynamic": True},  # query-dependent BM25/dense weights
        "expansion": {"enabled": True},  # follow "see Note 12"
        "generator": {"spec": "extractive", "contexts": 3},
    }
    pipeline = HybridPipeline.build(docs, config)
    result = pipeline.answer(question)
    print(result.answer.text)
    for citation in result.answer.citations:
        print(f"  - {citation.doc_id} | {' > '.join(citation.section_path)}")
    print("\nstages:", ", ".join(f"{s.stage} {s.latency_ms:.1f} ms" for s in result.trace.stages))


if __name__ == "__main__":
    main()
