"""Sends the requests of test/clients/requests.md to a running server with Python's `requests`, the
HTTP library Roboflow's clients use, and prints each answer as JSON. No client code is copied here:
each request is written from the facts of requests.md.

Usage: python clients.py < {"url", "key", "image": PATH, "jpeg": PATH, "calls": [NAME, ...]} > [ANSWER, ...]
Each answer: {"name", "status", "type" (content type), "json" (parsed, or null), "bytes" (body length)}.
"""
import base64
import json
import sys

import requests


def answer(name, r):
    try:
        body = r.json()
    except ValueError:
        body = None
    return {"name": name, "status": r.status_code, "type": r.headers.get("content-type", ""), "json": body, "bytes": len(r.content)}


def main():
    job = json.load(sys.stdin)
    url, key = job["url"], job["key"]
    b64 = base64.b64encode(open(job["image"], "rb").read()).decode("ascii")
    jpeg64 = base64.b64encode(open(job["jpeg"], "rb").read()).decode("ascii")
    image = {"type": "base64", "value": b64}
    v1 = lambda model, **extra: {"api_key": key, "model_id": model, "visualize_predictions": False, "disable_active_learning": False, "image": image, **extra}
    bearer = {"Authorization": f"Bearer {key}"}
    calls = {
        # inference_sdk, v1 mode
        "registry": lambda: requests.get(f"{url}/model/registry", params={"api_key": key}, headers={"Accept": "*/*"}),
        "add extra/2": lambda: requests.post(f"{url}/model/add", json={"model_id": "extra/2", "api_key": key}),
        "add digits/1": lambda: requests.post(f"{url}/model/add", json={"model_id": "digits/1", "api_key": key}),
        "add ../../etc": lambda: requests.post(f"{url}/model/add", json={"model_id": "../..", "api_key": key}),
        "remove extra/2": lambda: requests.post(f"{url}/model/remove", json={"model_id": "extra/2", "api_key": key}),
        "clear": lambda: requests.post(f"{url}/model/clear", json={"api_key": key}),
        "v1 digits": lambda: requests.post(f"{url}/infer/classification", json=v1("digits/1")),
        "v1 digits confidence": lambda: requests.post(f"{url}/infer/classification", json=v1("digits/1", confidence=0.5)),
        "v1 digits batch": lambda: requests.post(f"{url}/infer/classification", json={**v1("digits/1"), "image": [image, image]}),
        "v1 digits id": lambda: requests.post(f"{url}/infer/classification", json=v1("digits/1", id="my-request-id")),
        "v1 digits visualize": lambda: requests.post(f"{url}/infer/classification", json={**v1("digits/1"), "visualize_predictions": True}),
        "v1 digits BASE64 type": lambda: requests.post(f"{url}/infer/classification", json={**v1("digits/1"), "image": {"type": "BASE64", "value": b64}}),
        "v1 multi": lambda: requests.post(f"{url}/infer/classification", json=v1("multi/1")),
        "v1 env": lambda: requests.post(f"{url}/infer/classification", json=v1("env/1")),
        "v1 extra": lambda: requests.post(f"{url}/infer/classification", json=v1("extra/2")),
        "v1 bearer": lambda: requests.post(f"{url}/infer/classification", json={k: v for k, v in v1("digits/1").items() if k != "api_key"}, headers=bearer),
        "registry bearer": lambda: requests.get(f"{url}/model/registry", headers={"Accept": "*/*", **bearer}),
        # inference_sdk, v0 mode: the body is the raw base64 text, labelled JSON
        "v0 digits": lambda: requests.post(f"{url}/digits/1", params={"api_key": key, "disable_active_learning": "False"}, data=b64, headers={"Content-Type": "application/json"}),
        "v0 digits confidence": lambda: requests.post(f"{url}/digits/1", params={"api_key": key, "disable_active_learning": "False", "confidence": "0.5"}, data=b64, headers={"Content-Type": "application/json"}),
        "v0 multi": lambda: requests.post(f"{url}/multi/1", params={"api_key": key, "disable_active_learning": "False"}, data=b64, headers={"Content-Type": "application/json"}),
        "v0 env": lambda: requests.post(f"{url}/env/1", params={"api_key": key, "disable_active_learning": "False"}, data=b64, headers={"Content-Type": "application/json"}),
        "v0 bearer": lambda: requests.post(f"{url}/digits/1", params={"disable_active_learning": "False"}, data=b64, headers={"Content-Type": "application/json", **bearer}),
        "v0 wrong bearer": lambda: requests.post(f"{url}/digits/1", params={"disable_active_learning": "False"}, data=b64, headers={"Content-Type": "application/json", "Authorization": "Bearer nope"}),
        "info": lambda: requests.get(f"{url}/info"),
        # CLIP
        "clip compare": lambda: requests.post(f"{url}/clip/compare", json={"api_key": key, "subject_type": "image", "prompt_type": "text", "subject": image, "prompt": ["a handwritten digit", "a cat", "a car"]}),
        "clip compare text": lambda: requests.post(f"{url}/clip/compare", json={"api_key": key, "subject_type": "image", "prompt_type": "text", "subject": image, "prompt": "a handwritten digit"}),
        "clip compare v0": lambda: requests.post(f"{url}/clip/compare", params={"api_key": key}, json={"subject_type": "image", "prompt_type": "text", "subject": image, "prompt": ["a handwritten digit", "a cat"]}),
        "clip compare dict": lambda: requests.post(f"{url}/clip/compare", json={"api_key": key, "subject": image, "prompt": {"digit": "a handwritten digit", "cat": "a cat"}, "clip_version_id": "ViT-B-16"}),
        "clip compare text subject": lambda: requests.post(f"{url}/clip/compare", json={"api_key": key, "subject_type": "text", "subject": "a handwritten digit", "prompt_type": "image", "prompt": [image]}),
        "clip embed text": lambda: requests.post(f"{url}/clip/embed_text", json={"api_key": key, "text": "a handwritten digit"}),
        "clip embed texts": lambda: requests.post(f"{url}/clip/embed_text", json={"api_key": key, "text": ["a handwritten digit", "a cat"]}),
        "clip embed image": lambda: requests.post(f"{url}/clip/embed_image", json={"api_key": key, "image": image}),
        # the roboflow pip package
        "roboflow predict": lambda: requests.post(f"{url}/digits/1?api_key={key}&name=YOUR_IMAGE.jpg", data=jpeg64, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        # the legacy route's other bodies and parameters
        "legacy multipart": lambda: requests.post(f"{url}/digits/1", params={"api_key": key}, files={"file": ("seven.png", open(job["image"], "rb"), "image/png")}),
        "legacy text/plain": lambda: requests.post(f"{url}/digits/1", params={"api_key": key}, data=b64, headers={"Content-Type": "text/plain"}),
        "legacy percent confidence": lambda: requests.post(f"{url}/digits/1", params={"api_key": key, "confidence": "50"}, data=b64, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        "legacy format image": lambda: requests.post(f"{url}/digits/1", params={"api_key": key, "format": "image"}, data=b64, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        "legacy image_and_json": lambda: requests.post(f"{url}/digits/1", params={"api_key": key, "format": "image_and_json"}, data=b64, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        # errors
        "wrong key v1": lambda: requests.post(f"{url}/infer/classification", json={**v1("digits/1"), "api_key": "nope"}),
        "no image v1": lambda: requests.post(f"{url}/infer/classification", json={"api_key": key, "model_id": "digits/1"}),
        "no model_id v1": lambda: requests.post(f"{url}/infer/classification", json={"api_key": key, "image": image}),
        "no image v0": lambda: requests.post(f"{url}/digits/1", params={"api_key": key}, data="", headers={"Content-Type": "application/json"}),
        "unknown model v1": lambda: requests.post(f"{url}/infer/classification", json=v1("nope/9")),
        "unknown model v0": lambda: requests.post(f"{url}/nope/9", params={"api_key": key}, data=b64, headers={"Content-Type": "application/json"}),
        "bad model id v1": lambda: requests.post(f"{url}/infer/classification", json=v1("a/b/c")),
        "bad base64 v1": lambda: requests.post(f"{url}/infer/classification", json={**v1("digits/1"), "image": {"type": "base64", "value": "%%%not base64"}}),
        "bad base64 v0": lambda: requests.post(f"{url}/digits/1", params={"api_key": key}, data="%%%not base64", headers={"Content-Type": "application/json"}),
        "not json v1": lambda: requests.post(f"{url}/infer/classification", params={"api_key": key}, data="{not json", headers={"Content-Type": "application/json"}),
        "oversized v0": lambda: requests.post(f"{url}/digits/1", params={"api_key": key}, data="A" * (3 << 20), headers={"Content-Type": "application/json"}),
        "unknown route": lambda: requests.get(f"{url}/model/whatever", params={"api_key": key}),
        "unknown route no key": lambda: requests.get(f"{url}/model/whatever"),
        "workflows": lambda: requests.post(f"{url}/workflows/run", json={"api_key": key, "specification": {}, "inputs": {}}),
    }
    out = []
    for name in job["calls"]:
        out.append(answer(name, calls[name]()))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
