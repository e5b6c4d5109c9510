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


def _stub_text_deps():
    """Stand-ins for open_clip's import-time text dependencies where they are not installed (e.g. a GPU
    machine's own Python): ftfy and tqdm as no-ops, regex as `re` with ASCII letter/number classes. Enough
    to export models (the text encoder is traced with the tokens of a short ASCII text); the tokenizer
    is then exact for ASCII text only."""
    try:
        import ftfy  # noqa: F401
    except ImportError:
        ftfy = types.ModuleType("ftfy")
        ftfy.fix_text = lambda text, **kwargs: text
        sys.modules["ftfy"] = ftfy
    try:
        import regex  # noqa: F401
    except ImportError:
        import re
        stand_in = types.ModuleType("regex")
        stand_in.__dict__.update({k: v for k, v in vars(re).items() if not k.startswith("__")})
        # \p{L} / \p{N} (inside classes in open_clip's pattern) as ASCII ranges: exact for ASCII text only
        stand_in.compile = lambda pattern, flags=0: re.compile(pattern.replace(r"\p{L}", "a-zA-Z").replace(r"\p{N}", "0-9"), flags)
        sys.modules["regex"] = stand_in
    try:
        import tqdm  # noqa: F401
    except ImportError:
        tqdm = types.ModuleType("tqdm")
        tqdm.tqdm = lambda iterable=None, *args, **kwargs: iterable
        sys.modules["tqdm"] = tqdm


def import_open_clip(site=None):
    """open_clip, from `site` (a folder holding the open_clip package) if given."""
    if site:
        sys.path.insert(0, site)
    _stub_text_deps()
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
