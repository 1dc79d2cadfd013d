"""Investigate the shared SEC filings with the heuristic agent and print evidence + trace.

.venv/bin/python examples/agent.py ["question"]
"""

from __future__ import annotations

import sys

from ragkit.agentic import HeuristicAgent
from ragkit.settings import data_dir

QUESTION = (
    "In Coca-Cola's 10-Q for the quarter ended June 27, 2025, Latin America's operating income "
    "was reduced by a trademark impairment. What is the remaining carrying value of the "
    "trademark?"
)


def main() -> None:
    """Run one investigation over `$RAGKIT_DATA/sec-filings`."""
    question = sys.argv[1] if len(sys.argv) > 1 else QUESTION
    agent = HeuristicAgent(data_dir() / "sec-filings")
    result = agent.run(question)
    for rank, ev in enumerate(result.evidence[:5], start=1):
        print(f"[{rank}] {ev.file} > {' > '.join(ev.section_path[-2:])} ({ev.why})")
        print("    " + ev.text[:400].replace("\n", "\n    "))
    trace = result.trace_dict()
    print(
        f"{trace['steps']} tool calls, {trace['tokens_read']} tokens read, "
        f"{trace['latency_ms']:.0f} ms, files read: {', '.join(trace['files_read'])}"
    )


if __name__ == "__main__":
    main()
