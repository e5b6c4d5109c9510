"""PyTorch-in-Python peers for benchmarks/gpu.ts, on the same GPU in the same run:
  model-only eager, model-only CUDA graph (static input, replay), and a typical
  Python pipeline (cv2 decode + torchvision transforms + model + softmax).
Reads a JSON job on stdin: {"models": {name: path}, "precisions": [...], "batches": [...],
"pipeline_batches": [...], "jpeg": path, "min_ms": ...}; prints JSON rows."""
import json
import sys
import time

import cv2
import numpy as np
import torch


def stats(samples):
    s = sorted(samples)
    return {"runs": len(s), "medianMs": s[len(s) // 2], "p99Ms": s[min(len(s) - 1, int(0.99 * len(s)))], "minMs": s[0]}


def timeit(fn, min_ms, warmup=3, min_runs=10, max_runs=1000):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    samples, start = [], time.perf_counter()
    while len(samples) < max_runs and (len(samples) < min_runs or (time.perf_counter() - start) * 1000 < min_ms):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - t) * 1000)
    return stats(samples)


def main():
    job = json.load(sys.stdin)
    torch.backends.cudnn.benchmark = True
    # fp32 compared as true fp32 (edge-classify turns TF32 off for fp32 models)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = torch.device("cuda")
    jpeg = np.frombuffer(open(job["jpeg"], "rb").read(), np.uint8)
    rows = []
    try:
        from torchvision import transforms
        tv = transforms.Compose([transforms.ToTensor(), transforms.Resize((224, 224), antialias=False),
                                 transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    except Exception as e:  # torchvision missing: the pipeline peer is skipped, said in the output
        tv = None
        print(f"torchvision unavailable: {e}", file=sys.stderr)
    for name, path in job["models"].items():
        for precision in job["precisions"]:
            dtype = torch.float16 if precision == "fp16" else torch.float32
            model = torch.jit.load(path, map_location=dev).eval().to(dtype)
            for n in job["batches"]:
                x = torch.randn(n, 3, 224, 224, device=dev, dtype=dtype)
                with torch.inference_mode():
                    rows.append({"case": "model only, eager", "impl": "PyTorch (Python)", "model": name, "precision": precision,
                                 "batch": n, "stats": timeit(lambda: model(x), job["min_ms"])})
                    side = torch.cuda.Stream()
                    side.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(side):
                        for _ in range(3):
                            model(x)
                    torch.cuda.current_stream().wait_stream(side)
                    graph = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(graph):
                        out = model(x)
                    rows.append({"case": "model only, CUDA graph", "impl": "PyTorch (Python)", "model": name, "precision": precision,
                                 "batch": n, "stats": timeit(graph.replay, job["min_ms"])})
                    del graph, out
                if tv is not None and n in job["pipeline_batches"]:
                    def pipeline():
                        imgs = [cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for _ in range(n)]
                        batch = torch.stack([tv(im) for im in imgs]).to(dev, dtype, non_blocking=True)
                        with torch.inference_mode():
                            return torch.softmax(model(batch).float(), 1).cpu()
                    rows.append({"case": "classify JPEG bytes", "impl": "PyTorch cv2+torchvision (Python)", "model": name,
                                 "precision": precision, "batch": n, "stats": timeit(pipeline, job["min_ms"], min_runs=5)})
            del model
            torch.cuda.empty_cache()
    json.dump({"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
