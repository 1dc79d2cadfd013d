"""The ONNX export recipe behind the `onnx` and `onnx-int8` encoder backends.

Float32: `torch.onnx.export` of the transformer with mean pooling and L2 normalisation inside
the graph, then ONNX Runtime's transformer optimiser (fused attention, embedding layer norm);
the residual layer norms and GELUs stay unfused because ONNX Runtime 1.2x's CPU
`SkipLayerNormalization` kernel took 18% of an int8 forward pass against 4% for the plain
`Add` + `LayerNormalization` it replaces (sessions disable the re-fusion: `UNFUSED`).

Int8: every MatMul and attention projection quantised dynamically (uint8 activations x int8
weights per output channel: the VNNI dot product). The feed-forward output projections take
GELU activations with one outlier channel per layer (~25 against a typical maximum of 5, on
the [CLS] token), which one uint8 scale per tensor cannot hold; those channels are routed
around the int8 product through a small float32 one (`split_outlier_channels`, the
LLM.int8() decomposition), found from a fixed calibration set (`CALIBRATION`). Measured on
100 SciFact abstracts: worst cosine to float32 0.9961 with the split, 0.9921 without. The
int8 product is the CPU's kernel, so agreement varies by machine: on the test fixtures worst
0.9946 with AVX-512 VNNI, 0.9893 on the CI machine, from the same recipe.
"""

from __future__ import annotations

import inspect
import json
import logging
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ConfigError

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
#: ONNX Runtime session fusions to leave off (their CPU kernels are slower than the parts)
UNFUSED = ("SkipLayerNormFusion", "BiasGeluFusion")
#: Text the outlier channels are found from: generic English, numbers and a table row; the
#: outliers are a property of the model (the same channel on every text), not of the corpus
CALIBRATION = (
    "The company reported net revenue of $4.2 billion for the fiscal year ended December 31.",
    "Cells were cultured for 48 hours and protein expression was measured by western blot.",
    "See Note 12 for a discussion of leases and other commitments and contingencies.",
    "The weather in the mountains changed quickly, and the hikers turned back before noon.",
    "Total liabilities | 1,204 | 1,187 | 1,095",
    "Item 7. Management's Discussion and Analysis of Financial Condition",
)
#: A channel is an outlier when its calibration maximum exceeds this multiple of the 99th
#: percentile of all the layer's channel maxima.
OUTLIER_RATIO = 2.0


def _mean_pooling(config: dict[str, Any]) -> bool:
    """Whether a sentence-transformers pooling config means mean pooling: the pre-v6 form
    (``pooling_mode_mean_tokens: true``) or the v6 form (``pooling_mode: "mean"``)."""
    return bool(config.get("pooling_mode_mean_tokens")) or config.get("pooling_mode") == "mean"


def feeds(ids: np.ndarray, inputs: Collection[str]) -> dict[str, np.ndarray]:
    """A graph's inputs for one unpadded row of token ids: those of `INPUTS` it has."""
    values = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids}
    return {name: values[name] for name in INPUTS if name in inputs}


def exportable(folder: str | Path) -> bool:
    """Whether the ONNX recipe covers the model in `folder`: it mean-pools (a folder without a
    pooling config is taken to, as sentence-transformers does for a bare transformer)."""
    pooling = Path(folder) / "1_Pooling" / "config.json"
    return not pooling.is_file() or _mean_pooling(json.loads(pooling.read_text()))


def export_float(folder: Path, out: Path) -> None:
    """The float32 model of `folder`: exported, then fused by ONNX Runtime's optimiser."""
    raw = out.with_name("raw.onnx")
    _torch_export(folder, raw)
    config = json.loads((folder / "config.json").read_text())
    try:
        _optimise(raw, out, config)
    except Exception as exc:  # an architecture the optimiser does not know: keep the export
        log.warning(
            "ONNX Runtime's optimiser failed on %s (%s); using the plain export", folder, exc
        )
        raw.replace(out)
    else:
        raw.unlink()


def _torch_export(folder: Path, out: Path) -> None:
    """torch.onnx.export of the transformer + mean pooling + L2 normalisation (float32)."""
    import torch
    from transformers import AutoModel

    if not exportable(folder):
        raise ConfigError(f"the ONNX backends support mean-pooling models only; {folder} is not")
    log.info("exporting %s to ONNX (once; cached in %s)", folder, out.parent.parent)
    # eager attention exports as plain MatMul/Softmax nodes that the optimiser fuses
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    wrapped = _mean_pooled_class()(model)
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]])
    args = (ids, (ids > 0).long(), torch.zeros_like(ids))
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            args,
            str(out),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def _optimise(raw: Path, out: Path, config: dict[str, Any]) -> None:
    """ONNX Runtime's BERT fusions (attention, embedding layer norm), residual layer norms
    and GELUs left as they are (see the module docstring)."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.enable_skip_layer_norm = False
    options.enable_bias_skip_layer_norm = False
    options.enable_bias_gelu = False
    quiet = logging.getLogger("onnxruntime.transformers")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        model = optimize_model(
            str(raw),
            model_type="bert",
            num_heads=int(config.get("num_attention_heads") or config.get("n_heads") or 0),
            hidden_size=int(config.get("hidden_size") or config.get("dim") or 0),
            opt_level=1,
            optimization_options=options,
        )
    finally:
        quiet.setLevel(level)
    model.save_model_to_file(str(out))


def quantize_int8(float_file: Path, out: Path, tokenizer_file: Path) -> None:
    """The int8 model: outlier channels split off, then dynamic per-channel quantisation of
    every MatMul and attention projection except the float32 outlier products."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("quantising %s to int8 (once)", float_file)
    split = out.with_name("split.onnx")
    keep_float = split_outlier_channels(float_file, split, tokenizer_file)
    quiet = logging.getLogger()  # quantize_dynamic warns on the root logger about pre-processing
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(split),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            nodes_to_exclude=keep_float,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        quiet.setLevel(level)
    split.unlink()


def split_outlier_channels(float_file: Path, out: Path, tokenizer_file: Path) -> list[str]:
    """Writes `float_file` with each GELU-fed MatMul ``X @ W`` rewritten as
    ``(X * mask) @ W + X[..., outliers] @ W[outliers]``, the outlier channels found by running
    `CALIBRATION`; returns the names of the small float32 MatMuls (not to be quantised)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(float_file))
    graph = model.graph
    producer = {name: node for node in graph.node for name in node.output}
    weights = {init.name: init for init in graph.initializer}
    targets = [
        node
        for node in graph.node
        if node.op_type == "MatMul"
        and node.input[1] in weights
        and getattr(producer.get(node.input[0]), "op_type", "") in ("Gelu", "BiasGelu", "FastGelu")
    ]
    maxima = _activation_maxima(model, [n.input[0] for n in targets], tokenizer_file)
    target_ids = {id(n) for n in targets}
    nodes: list[Any] = []
    kept: list[str] = []
    for node in graph.node:
        if id(node) not in target_ids:
            nodes.append(node)
            continue
        peak = maxima[node.input[0]]
        outliers = np.flatnonzero(peak > OUTLIER_RATIO * np.percentile(peak, 99))
        if not len(outliers):
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(weights[node.input[1]])
        nodes += _split_node(graph, node, weight, outliers)
        kept.append(f"{node.name}/outliers")
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(out))
    return kept


def _split_node(graph: Any, node: Any, weight: Any, outliers: Any) -> list[Any]:
    """The nodes replacing MatMul `node` (weight `weight`): the int8-bound product of the
    inlier channels plus the float32 product of the `outliers` channels."""
    from onnx import helper, numpy_helper

    mask = np.ones(weight.shape[0], dtype=np.float32)
    mask[outliers] = 0.0
    name, x, y = node.name, node.input[0], node.output[0]
    graph.initializer.extend(
        [
            numpy_helper.from_array(mask, f"{name}/inlier_mask"),
            numpy_helper.from_array(outliers.astype(np.int64), f"{name}/outlier_index"),
            numpy_helper.from_array(weight[outliers], f"{name}/outlier_weight"),
        ]
    )
    node.input[0], node.output[0] = f"{name}/inliers", f"{name}/inlier_product"
    return [
        helper.make_node("Mul", [x, f"{name}/inlier_mask"], [node.input[0]], name=f"{name}/mask"),
        node,
        helper.make_node(
            "Gather",
            [x, f"{name}/outlier_index"],
            [f"{name}/outlier_x"],
            axis=-1,
            name=f"{name}/gather",
        ),
        helper.make_node(
            "MatMul",
            [f"{name}/outlier_x", f"{name}/outlier_weight"],
            [f"{name}/outlier_product"],
            name=f"{name}/outliers",
        ),
        helper.make_node(
            "Add", [node.output[0], f"{name}/outlier_product"], [y], name=f"{name}/sum"
        ),
    ]


def _activation_maxima(model: Any, names: list[str], tokenizer_file: Path) -> dict[str, Any]:
    """The per-channel maximum |activation| of each tensor in `names` over `CALIBRATION`."""
    import copy

    import onnx
    import onnxruntime as ort
    from onnx import helper
    from tokenizers import Tokenizer

    probe = copy.deepcopy(model)
    for name in names:
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    maxima: dict[str, Any] = {name: 0.0 for name in names}
    for encoding in tokenizer.encode_batch(list(CALIBRATION)):
        ids = np.array([encoding.ids], dtype=np.int64)
        outputs = session.run(names, feeds(ids, wanted))
        for name, value in zip(names, outputs, strict=True):
            peak = np.abs(value).reshape(-1, value.shape[-1]).max(axis=0)
            maxima[name] = np.maximum(maxima[name], peak)
    return maxima


def _mean_pooled_class() -> type:
    import torch

    class MeanPooled(torch.nn.Module):
        """The transformer's token states, mean-pooled over the mask and L2-normalised."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model
            # BERT-like models take segment ids; MPNet and DistilBERT have none (the export
            # then drops the unused input and the encoder feeds what the graph asks for)
            self.typed = "token_type_ids" in inspect.signature(model.forward).parameters

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            extra = {"token_type_ids": token_type_ids} if self.typed else {}
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, **extra)
            mask = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
            summed = (out.last_hidden_state * mask).sum(1)
            mean = summed / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=1)

    return MeanPooled
