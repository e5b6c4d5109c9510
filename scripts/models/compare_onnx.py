"""Compares two ONNX classifiers on the CPU with onnx's reference evaluator (no onnxruntime, no GPU):
the fp16 export of a model against its fp32 export, on the same seeded inputs.

    python scripts/models/compare_onnx.py fp32.onnx fp16.onnx [--torchscript model.torchscript]
                                          [--batch 2] [--seed 0] [--tolerance 0.1]

Prints one JSON object: the largest absolute difference of the logits, the largest absolute fp32
logit, whether every image's top class agrees (reported only: seeded, untrained weights have near
ties), the element types of each model's input and output and of its initializers, and `within`:
max difference <= tolerance x largest logit. With --torchscript, also PyTorch's own half precision
on the same inputs (the module in .half() against it in float), an independent measure of what fp16
costs this model: `within` then also needs the ONNX's difference <= 2x PyTorch's (+ 0.1% of the
largest logit). Exits 0 when within, 1 when not.
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator


def element_types(model):
    name = onnx.TensorProto.DataType.Name
    graph = model.graph
    return {
        "input": name(graph.input[0].type.tensor_type.elem_type),
        "output": name(graph.output[0].type.tensor_type.elem_type),
        "initializers": sorted({name(t.data_type) for t in graph.initializer if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)}),
    }


def input_shape(model, batch):
    dims = model.graph.input[0].type.tensor_type.shape.dim
    return [batch] + [d.dim_value for d in dims[1:]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reference")
    parser.add_argument("candidate")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--torchscript")
    args = parser.parse_args()
    ref_model, cand_model = onnx.load(args.reference), onnx.load(args.candidate)
    shape = input_shape(ref_model, args.batch)
    if input_shape(cand_model, args.batch) != shape:
        sys.exit(f"the models' inputs differ: {shape} and {input_shape(cand_model, args.batch)}")
    # inputs in the range of normalized pixels
    x = np.random.default_rng(args.seed).uniform(-2.0, 2.0, size=shape).astype(np.float32)
    ref = np.asarray(ReferenceEvaluator(ref_model).run(None, {ref_model.graph.input[0].name: x})[0], dtype=np.float64)
    cand = np.asarray(ReferenceEvaluator(cand_model).run(None, {cand_model.graph.input[0].name: x})[0], dtype=np.float64)
    diff = float(np.max(np.abs(ref - cand)))
    scale = float(np.max(np.abs(ref)))
    tops = bool(np.all(ref.argmax(axis=1) == cand.argmax(axis=1)))
    result = {
        "maxAbsDiff": diff,
        "maxAbsLogit": scale,
        "topsAgree": tops,
        "tolerance": args.tolerance,
        "within": bool(diff <= args.tolerance * scale),
        "reference": element_types(ref_model),
        "candidate": element_types(cand_model),
    }
    if args.torchscript:
        import torch

        module = torch.jit.load(args.torchscript, map_location="cpu").eval()
        with torch.no_grad():
            full = module(torch.from_numpy(x)).double()
            half = module.half()(torch.from_numpy(x).half()).double()
        result["torchHalfMaxAbsDiff"] = float((full - half).abs().max())
        result["within"] = bool(result["within"] and diff <= 2 * result["torchHalfMaxAbsDiff"] + 1e-3 * scale)
    print(json.dumps(result))
    sys.exit(0 if result["within"] else 1)


if __name__ == "__main__":
    main()
