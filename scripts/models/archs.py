"""Image classifiers written out by hand (torchvision is not usable here): ResNet-18/50,
MobileNetV3-Small and EfficientNet-B0 with torchvision's module structure and
parameter names (so torchvision state dicts would load), a tiny any-size CNN for
test fixtures, and DigitsNet for 32x32 input. All are TorchScript-scriptable.

`seeded(model, seed, ...)` gives a random-weight model deterministic weights and
calibrated statistics so its outputs are well spread (see its docstring)."""
import math
from typing import List, Optional

import torch
from torch import Tensor, nn

from photos import IMAGENET_MEAN, IMAGENET_STD, calibration_batch


def _make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ConvNormAct(nn.Sequential):
    """torchvision.ops.Conv2dNormActivation: conv (no bias) -> BatchNorm -> optional activation."""

    def __init__(self, cin, cout, kernel=3, stride=1, groups=1, act: Optional[type] = nn.ReLU, bn_eps=1e-5, bn_momentum=0.1):
        layers = [
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout, eps=bn_eps, momentum=bn_momentum),
        ]
        if act is not None:
            layers.append(act(inplace=True))
        super().__init__(*layers)


class SqueezeExcitation(nn.Module):
    """torchvision.ops.SqueezeExcitation."""

    def __init__(self, channels, squeeze, act: type = nn.ReLU, scale_act: type = nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = act()
        self.scale_activation = scale_act()

    def forward(self, x: Tensor) -> Tensor:
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


def _init_convs(model, linear="default"):
    """torchvision's initialisation: kaiming-normal (fan_out) convs, BN 1/0, then the
    Linear layers as `linear` says."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if linear == "normal":
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)
            elif linear == "uniform":
                r = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -r, r)
                nn.init.zeros_(m.bias)
            else:
                m.reset_parameters()


# ---------------------------------------------------------------- ResNet

class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def branch_norm(self):
        return self.bn2

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def branch_norm(self):
        return self.bn3

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers: List[int], num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self.init_weights()

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def init_weights(self):
        _init_convs(self)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18(num_classes=1000):
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes)


def resnet50(num_classes=1000):
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes)


# ---------------------------------------------------------------- MobileNetV3-Small

class InvertedResidual(nn.Module):
    """torchvision's MobileNetV3 block: [expand 1x1] -> depthwise -> [SE] -> project 1x1."""

    def __init__(self, cin, kernel, expanded, cout, use_se, hardswish, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        act = nn.Hardswish if hardswish else nn.ReLU
        bn = dict(bn_eps=0.001, bn_momentum=0.01)
        layers: List[nn.Module] = []
        if expanded != cin:
            layers.append(ConvNormAct(cin, expanded, 1, act=act, **bn))
        layers.append(ConvNormAct(expanded, expanded, kernel, stride, groups=expanded, act=act, **bn))
        if use_se:
            layers.append(SqueezeExcitation(expanded, _make_divisible(expanded // 4, 8), scale_act=nn.Hardsigmoid))
        layers.append(ConvNormAct(expanded, cout, 1, act=None, **bn))
        self.block = nn.Sequential(*layers)
        self.out_channels = cout

    def branch_norm(self):
        return self.block[-1][1] if self.use_res_connect else None

    def forward(self, x: Tensor) -> Tensor:
        out = self.block(x)
        if self.use_res_connect:
            out = out + x
        return out


class MobileNetV3(nn.Module):
    # input, kernel, expanded, output, SE, hardswish, stride (torchvision's "small" table)
    SMALL = [
        (16, 3, 16, 16, True, False, 2),
        (16, 3, 72, 24, False, False, 2),
        (24, 3, 88, 24, False, False, 1),
        (24, 5, 96, 40, True, True, 2),
        (40, 5, 240, 40, True, True, 1),
        (40, 5, 240, 40, True, True, 1),
        (40, 5, 120, 48, True, True, 1),
        (48, 5, 144, 48, True, True, 1),
        (48, 5, 288, 96, True, True, 2),
        (96, 5, 576, 96, True, True, 1),
        (96, 5, 576, 96, True, True, 1),
    ]

    def __init__(self, config, last_channel, num_classes=1000, dropout=0.2):
        super().__init__()
        bn = dict(bn_eps=0.001, bn_momentum=0.01)
        layers: List[nn.Module] = [ConvNormAct(3, config[0][0], 3, 2, act=nn.Hardswish, **bn)]
        layers += [InvertedResidual(*c) for c in config]
        last_conv = 6 * config[-1][3]
        layers.append(ConvNormAct(config[-1][3], last_conv, 1, act=nn.Hardswish, **bn))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_conv, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        self.init_weights()

    def init_weights(self):
        _init_convs(self, linear="normal")

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def mobilenet_v3_small(num_classes=1000):
    return MobileNetV3(MobileNetV3.SMALL, 1024, num_classes)


# ---------------------------------------------------------------- EfficientNet-B0

class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth, mode "row" (identity in eval)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        noise = torch.empty([x.shape[0], 1, 1, 1], dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * noise / keep


class MBConv(nn.Module):
    def __init__(self, expand_ratio, kernel, stride, cin, cout, sd_prob):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        expanded = _make_divisible(cin * expand_ratio, 8)
        layers: List[nn.Module] = []
        if expanded != cin:
            layers.append(ConvNormAct(cin, expanded, 1, act=nn.SiLU))
        layers.append(ConvNormAct(expanded, expanded, kernel, stride, groups=expanded, act=nn.SiLU))
        layers.append(SqueezeExcitation(expanded, max(1, cin // 4), act=nn.SiLU))
        layers.append(ConvNormAct(expanded, cout, 1, act=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(sd_prob)

    def branch_norm(self):
        return self.block[-1][1] if self.use_res_connect else None

    def forward(self, x: Tensor) -> Tensor:
        out = self.block(x)
        if self.use_res_connect:
            out = self.stochastic_depth(out) + x
        return out


class EfficientNet(nn.Module):
    # expand ratio, kernel, stride, input, output, layers (torchvision's B0 table)
    B0 = [
        (1, 3, 1, 32, 16, 1),
        (6, 3, 2, 16, 24, 2),
        (6, 5, 2, 24, 40, 2),
        (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3),
        (6, 5, 2, 112, 192, 4),
        (6, 3, 1, 192, 320, 1),
    ]

    def __init__(self, config, num_classes=1000, dropout=0.2, stochastic_depth=0.2, last_channel=1280):
        super().__init__()
        layers: List[nn.Module] = [ConvNormAct(3, config[0][3], 3, 2, act=nn.SiLU)]
        total, block_id = sum(c[5] for c in config), 0
        for expand, kernel, stride, cin, cout, n in config:
            stage = []
            for i in range(n):
                stage.append(MBConv(expand, kernel, stride if i == 0 else 1, cin if i == 0 else cout, cout,
                                    stochastic_depth * block_id / total))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        layers.append(ConvNormAct(config[-1][4], last_channel, 1, act=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout, inplace=True), nn.Linear(last_channel, num_classes))
        self.init_weights()

    def init_weights(self):
        _init_convs(self, linear="uniform")

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def efficientnet_b0(num_classes=1000):
    return EfficientNet(EfficientNet.B0, num_classes)


# ---------------------------------------------------------------- small nets

class TinyNet(nn.Module):
    """Three stride-2 conv layers and global average pooling: accepts any input
    size >= 1x1. `softmax=True` makes it output probabilities."""

    def __init__(self, num_classes, width=16, softmax: bool = False):
        super().__init__()
        self.features = nn.Sequential(
            ConvNormAct(3, width, 3, 2), ConvNormAct(width, 2 * width, 3, 2), ConvNormAct(2 * width, 4 * width, 3, 2)
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4 * width, num_classes)
        self.softmax = softmax
        self.init_weights()

    def init_weights(self):
        _init_convs(self)

    def forward(self, x: Tensor) -> Tensor:
        x = self.fc(torch.flatten(self.avgpool(self.features(x)), 1))
        return torch.softmax(x, 1) if self.softmax else x


class DigitsNet(nn.Module):
    """A small CNN for 32x32 RGB digits (~90k parameters): three conv/BN/ReLU/max-pool
    stages (32 -> 16 -> 8 -> 4) and a two-layer head on the flattened 64x4x4 map.
    Only 32x32 input works (the head is not size-agnostic); other sizes raise an
    error that says so."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            ConvNormAct(3, 16), nn.MaxPool2d(2),
            ConvNormAct(16, 32), nn.MaxPool2d(2),
            ConvNormAct(32, 64), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 4 * 4, 64), nn.ReLU(inplace=True), nn.Linear(64, num_classes)
        )
        self.init_weights()

    def init_weights(self):
        _init_convs(self)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3 or x.shape[2] != 32 or x.shape[3] != 32:
            raise RuntimeError("DigitsNet expects input of shape [N, 3, 32, 32], got " + str(x.shape))
        return self.classifier(self.features(x))


# ---------------------------------------------------------------- deterministic random weights

def _smooth_kernels(model):
    """Low-pass every spatial conv kernel (Gaussian, sigma = k/4), keeping its standard
    deviation. White-noise kernels respond mostly to pixel-level detail, which
    BatchNorm calibration then amplifies: such a net's outputs jump when the input
    changes by one uint8 level. Trained kernels are mostly smooth; so are these."""
    for conv in model.modules():
        if isinstance(conv, nn.Conv2d) and conv.kernel_size[0] > 1:
            w = conv.weight
            k = w.shape[-1]
            r = torch.arange(-k, k + 1, dtype=w.dtype)
            g = torch.exp(-0.5 * (r / (k / 4)) ** 2)
            g2 = (g[:, None] * g[None, :] / g.sum() ** 2)[None, None]
            smooth = nn.functional.conv2d(w.reshape(-1, 1, k, k), g2, padding=k).reshape(w.shape)
            w.copy_(smooth * (w.std() / smooth.std().clamp_min(1e-12)))


@torch.no_grad()
def seeded(model, seed, width=224, height=224, mean=IMAGENET_MEAN, std=IMAGENET_STD, channel_order="rgb",
           logit_std=1.5, residual_gain=0.2, norm_gain=1.0, norm_shift=0.0, batches=3, batch_size=16):
    """Deterministic random weights with useful, stable outputs, in place; returns the model in eval mode.

    1. torch.manual_seed(seed), the architecture's own initialisation, smoothed spatial
       kernels (_smooth_kernels), every BatchNorm's scale/shift set to `norm_gain`/
       `norm_shift` (a small gain and a positive shift keep activations in the
       near-linear range of ReLU/hard-swish/SiLU), and residual branches damped: the
       last BatchNorm of each branch gets scale `residual_gain`, shift 0 (torchvision's
       zero_init_residual idea). All of this keeps the random net smooth in its input,
       so that a rounding difference in preprocessing (float vs uint8 bilinear) moves
       its confidences by < 1e-3 and keeps its top class (measured on the fixtures).
    2. BatchNorm running statistics = exact averages over `batches` batches of real
       photo views (train mode, momentum=None), so eval-mode activations are normalised.
    3. The last Linear layer is calibrated on the same views: its bias makes every
       class's mean logit 0 over them (no class wins on every input), and weight and
       bias are scaled so that the median over images of the per-image logit standard
       deviation is `logit_std` (softmax neither near-uniform nor saturated).
    `mean`/`std` are in RGB order; `channel_order` is the order of the model's input."""
    torch.manual_seed(seed)
    model.init_weights()
    _smooth_kernels(model)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.weight.fill_(norm_gain)
            m.bias.fill_(norm_shift)
    for m in model.modules():
        norm = m.branch_norm() if hasattr(m, "branch_norm") else None
        if norm is not None:
            norm.weight.fill_(residual_gain)
            norm.bias.zero_()
    x = torch.from_numpy(calibration_batch(width, height, mean, std, channel_order, batches * batch_size, seed))
    chunks = x.split(batch_size)

    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches
    model.train()
    for chunk in chunks:
        model(chunk)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.eval()

    head = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    inputs = []
    hook = head.register_forward_hook(lambda _m, args, _out: inputs.append(args[0]))
    for chunk in chunks:
        model(chunk)
    hook.remove()
    logits = torch.cat(inputs) @ head.weight.T
    centre = logits.mean(0)
    scale = logit_std / (logits - centre).std(1).median().clamp_min(1e-12)
    head.weight.mul_(scale)
    head.bias.copy_(-centre * scale)
    return model
