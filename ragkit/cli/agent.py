"""`ragkit agent DIR "question"`: investigate a folder with the agentic tools and print the
evidence and the trace (or one JSON object with --json)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ragkit.errors import ConfigError


def register(subparsers: Any) -> None:
    """Add the `agent` command."""
    p = subparsers.add_parser(
        "agent",
        help="answer a question by grepping, reading and following references in a folder",
        description="Investigate DIR with sandboxed grep/glob/outline/read/follow tools; print "
        "ranked evidence passages and the trace (steps, files read, tokens read, time).",
    )
    p.add_argument("dir", help="corpus folder (every tool stays inside it)")
    p.add_argument("question", help="the question to investigate")
    p.add_argument(
        "--policy",
        choices=("heuristic", "llm"),
        default="heuristic",
        help="heuristic (deterministic, offline; default) or llm (tool-calling model)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("-k", type=int, default=8, help="evidence passages to print (default 8)")
    p.add_argument("--max-steps", type=int, default=None, help="tool-call / model-turn budget")
    p.add_argument(
        "--provider",
        choices=("openai", "cohere"),
        default="openai",
        help="llm policy: API flavour (default openai-compatible)",
    )
    p.add_argument(
        "--index",
        default=None,
        help="an index folder built from DIR (`ragkit index DIR --out ...`): gives the agent "
        "a search tool backed by the hybrid pipeline over it (searched first)",
    )
    p.add_argument("--model", default=None, help="llm policy: model name")
    p.add_argument("--base-url", default=None, help="llm policy: API base URL")
    p.set_defaults(func=run)


def _tools(args: argparse.Namespace) -> Any:
    """The sandboxed tools over DIR, with a search tool when --index names an index.

    A DIR with no readable document is an error (exit 2) naming what was skipped, e.g.
    symlinks leading outside DIR (the rule `ragkit index` applies too)."""
    from ragkit.agentic.tools import Tools
    from ragkit.parsers.corpus import no_documents_error

    searcher = None
    if args.index:
        from ragkit.indexes import HybridIndex
        from ragkit.pipeline import HybridPipeline

        searcher = HybridPipeline.from_index(HybridIndex.load(args.index), {})
    tools = Tools(args.dir, searcher=searcher)
    skipped: list[str] = []
    if not tools.sandbox.files(skipped=skipped):
        raise no_documents_error([args.dir], skipped)
    return tools


def _agent(args: argparse.Namespace) -> Any:
    tools = _tools(args)
    if args.policy == "heuristic":
        from ragkit.agentic.heuristic import HeuristicAgent

        extra = {"max_steps": args.max_steps} if args.max_steps else {}
        return HeuristicAgent(tools, **extra)
    from ragkit.agentic.llm import LLMAgent
    from ragkit.generators.chat import get_chat_client

    if args.provider == "openai" and not args.model:
        raise ConfigError("--policy llm with --provider openai needs --model NAME")
    options = {"base_url": args.base_url} if args.base_url else {}
    client = get_chat_client(f"{args.provider}:{args.model or ''}", **options)
    extra = {"max_steps": args.max_steps} if args.max_steps else {}
    return LLMAgent(tools, client, **extra)


def run(args: argparse.Namespace) -> int:
    """Run the agent and print its result."""
    if args.k <= 0:
        raise ConfigError(f"-k must be > 0, got {args.k}")
    result = _agent(args).run(args.question)
    result.evidence = result.evidence[: args.k]
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # file names that are not UTF-8 print as \udcXX escapes
        reconfigure(errors="backslashreplace")
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    out = sys.stdout
    if result.answer:
        out.write(f"answer: {result.answer}\n\n")
    for rank, ev in enumerate(result.evidence, start=1):
        page = f", page {ev.page_start}" if ev.page_start is not None else ""
        out.write(
            f"[{rank}] {ev.file} > {' > '.join(ev.section_path) or '(document)'}"
            f" (lines {ev.line_start}-{ev.line_end}{page}; score {ev.score:.2f}; "
            f"{ev.why})\n"
        )
        text = ev.text if len(ev.text) <= 1200 else ev.text[:1200] + " …"
        out.write("    " + text.replace("\n", "\n    ") + "\n\n")
    t = result.trace_dict()
    out.write(
        f"trace: {t['steps']} steps, {len(t['files_read'])} files read "
        f"({', '.join(t['files_read'])}), {t['tokens_read']} tokens read, "
        f"{t['latency_ms'] / 1000:.2f} s, stop: {t['stop_reason']}\n"
    )
    for c in t["calls"]:
        args_text = json.dumps(c["args"], ensure_ascii=False)[:120]
        err = f"  ERROR {c['error']}" if c["error"] else ""
        out.write(
            f"  {c['step']:>3}. {c['tool']} {args_text} → {c['output_tokens']} tokens, "
            f"{c['latency_ms']:.0f} ms{err}\n"
        )
    return 0
