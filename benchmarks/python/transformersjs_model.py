"""A local model folder for transformers.js (@huggingface/transformers), made from a fixture's ONNX
export (the same seeded weights as its TorchScript file): config.json, preprocessor_config.json and
onnx/model.onnx with the graph input renamed to `pixel_values` (the name transformers.js feeds) and
the output `logits`. Preprocessing as the fixture's metadata says: resize the shorter side to the
input size, center-crop, scale to [0, 1], normalise with its mean and std.

Usage: python transformersjs_model.py <model.onnx> <metadata.json> <model_type> <out folder>
"""
import json
import os
import sys

import onnx


def main() -> None:
    source, metadata_path, model_type, out = sys.argv[1:5]
    with open(metadata_path) as f:
        meta = json.load(f)
    model = onnx.load(source)
    old = model.graph.input[0].name
    model.graph.input[0].name = "pixel_values"
    for node in model.graph.node:
        node.input[:] = ["pixel_values" if name == old else name for name in node.input]
    if model.graph.output[0].name != "logits":
        raise SystemExit(f"{source}: the output is {model.graph.output[0].name!r}, transformers.js reads 'logits'")
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    onnx.save(model, os.path.join(out, "onnx", "model.onnx"))
    names = meta["class_names"]
    config = {
        "model_type": model_type,
        "num_labels": len(names),
        "id2label": {str(i): n for i, n in enumerate(names)},
        "label2id": {n: i for i, n in enumerate(names)},
    }
    side = meta["input"]["height"]
    processor = {
        "image_processor_type": "ImageProcessor",
        "do_resize": True,
        "size": {"shortest_edge": side},
        "resample": 2,
        "do_center_crop": True,
        "crop_size": {"height": meta["input"]["height"], "width": meta["input"]["width"]},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": meta["mean"],
        "image_std": meta["std"],
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f)
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump(processor, f)
    print(f"transformersjs_model: {out}")


if __name__ == "__main__":
    main()
