"""Reference for the CLIP tokenizer parity test: open_clip's own tokenizer.py (from the open-clip-torch
wheel, loaded by path: importing the open_clip package needs torchvision, which fails beside the CPU
torch here). Reads {"tokenizer": path, "vocab": path, "texts": [...]} on stdin, prints the token rows."""
import importlib.util
import json
import sys

job = json.load(sys.stdin)
spec = importlib.util.spec_from_file_location("open_clip_tokenizer", job["tokenizer"])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
tokenizer = module.SimpleTokenizer(bpe_path=job["vocab"])
print(json.dumps(tokenizer(job["texts"]).tolist()))
