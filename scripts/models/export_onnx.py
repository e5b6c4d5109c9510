"""Exports a TorchScript classifier to ONNX for edge-classify's TensorRT backend: a dynamic batch
axis (input "input", output "logits") and the model's metadata (its TorchScript extra file
metadata.json, or a sidecar <model>.json) embedded as ONNX metadata_props["metadata.json"].

    python scripts/models/export_onnx.py model.torchscript [out.onnx] [--opset 17] [--precision fp32|fp16]

--precision fp16: weights, constants and computation in half, the input and output kept float32 by
casts (scripts/models/onnx_fp16.py): what TensorRT 11 needs for an fp16 engine, as its builder takes
the precision from the ONNX.
"""
import argparse
import json
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import embed_metadata  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--precision", choices=["fp32", "fp16"], default="fp32")
    args = parser.parse_args()
    extra = {"metadata.json": ""}
    module = torch.jit.load(args.model, map_location="cpu", _extra_files=extra).eval()
    meta = json.loads(extra["metadata.json"]) if extra["metadata.json"] else None
    if meta is None and os.path.exists(args.model + ".json"):
        with open(args.model + ".json") as f:
            meta = json.load(f)
    if meta is None or "input" not in meta:
        sys.exit(f"{args.model}: no metadata with an input size (TorchScript extra file metadata.json or {args.model}.json)")
    out = args.out or os.path.splitext(args.model)[0] + ".onnx"
    x = torch.zeros(1, 3, meta["input"]["height"], meta["input"]["width"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), out, dynamo=False, opset_version=args.opset, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    if args.precision == "fp16":
        import onnx
        from onnx_fp16 import to_fp16

        onnx.save(to_fp16(onnx.load(out)), out)
    embed_metadata(out, meta)
    print(out)


if __name__ == "__main__":
    main()
