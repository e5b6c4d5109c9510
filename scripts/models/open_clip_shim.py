"""Imports open_clip where the mirror's torchvision (a CUDA build) cannot be imported beside the CPU
torch ("operator torchvision::nms does not exist"): stand-ins for the few torchvision names that
open_clip imports at module level. open_clip's image transforms are then unusable (edge-classify
preprocesses images itself); its models and tokenizer work."""
import sys
import types


def _stub_torchvision():
    class _Unavailable:
        def __init__(self, *args, **kwargs):
            pass

        def __call__(self, *args, **kwargs):
            raise RuntimeError("torchvision is not importable here; open_clip's transforms are unavailable")

    class InterpolationMode:
        NEAREST = "nearest"
        BILINEAR = "bilinear"
        BICUBIC = "bicubic"
        LANCZOS = "lanczos"

    tv = types.ModuleType("torchvision")
    tv.__path__ = []
    tv.__version__ = "0.0+stand-in"
    transforms = types.ModuleType("torchvision.transforms")
    functional = types.ModuleType("torchvision.transforms.functional")
    for name in ["Normalize", "Compose", "RandomResizedCrop", "ToTensor", "Resize", "CenterCrop", "ColorJitter",
                 "Grayscale", "RandomCrop", "Lambda"]:
        setattr(transforms, name, _Unavailable)
    transforms.InterpolationMode = InterpolationMode
    transforms.functional = functional
    ops = types.ModuleType("torchvision.ops")
    misc = types.ModuleType("torchvision.ops.misc")
    misc.FrozenBatchNorm2d = _Unavailable
    ops.misc = misc
    tv.transforms = transforms
    tv.ops = ops
    sys.modules.update({"torchvision": tv, "torchvision.transforms": transforms, "torchvision.transforms.functional": functional,
                        "torchvision.ops": ops, "torchvision.ops.misc": misc})


def import_open_clip(site=None):
    """open_clip, from `site` (a folder holding the open_clip package) if given."""
    if site:
        sys.path.insert(0, site)
    try:
        import torchvision  # noqa: F401
    except Exception:
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        _stub_torchvision()
    import open_clip
    return open_clip


# A small CLIP for tests (seeded random weights): ViT vision tower and text transformer, 64-d embeddings.
TINY = dict(embed_dim=64,
            vision_cfg=dict(image_size=64, layers=2, width=64, patch_size=16, head_width=32),
            text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=2, layers=2))


def build(open_clip, arch, seed, weights=None):
    import torch
    torch.manual_seed(seed)
    if arch == "tiny":
        model = open_clip.CLIP(**TINY)
    else:
        model = open_clip.create_model(arch, pretrained=weights)
    return model.eval()
