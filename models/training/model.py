"""SRVGGNetCompact-style upscaler with a denoise-strength input.

    image [B,3,H,W] ----------------------------------- nearest x s ------+
         + constant channel filled with d  (4 ch)                         |
      -> conv3x3 4->F, act                                                |
      -> N x (conv3x3 F->F, act)                                          |
      -> conv3x3 F->3*s*s -> PixelShuffle(s) ---------------------------> + -> upscaled

Why this shape:
  * plain 3x3 convs + LeakyReLU(0.1): ONNX Runtime fuses Conv+LeakyRelu on CPU and
    GPU (it does not fuse PReLU), and everything runs at LR resolution, so the cost
    per output pixel is tiny;
  * the nearest-upsampled input as a residual means the network only learns the
    high-frequency correction, which trains much faster (important on a CPU);
  * the strength d enters as a 4th input channel so one set of weights covers the
    whole 0..1 range continuously (no model switching in the engine).

Receptive field: each 3x3 conv adds one LR pixel per side and there are N+2 of them;
PixelShuffle and the nearest residual only read the LR pixel the output pixel lies
in, so an output pixel depends on LR pixels at most N+2 away: receptiveField = N+2.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

SLOPE = 0.1    # LeakyReLU's negative slope, in every network here (ONNX Runtime fuses Conv+LeakyRelu)


class CompactSR(nn.Module):
    def __init__(self, scale: int = 4, features: int = 32, blocks: int = 8):
        super().__init__()
        self.scale, self.features, self.blocks = scale, features, blocks
        layers = [nn.Conv2d(4, features, 3, padding=1), nn.LeakyReLU(SLOPE, inplace=True)]
        for _ in range(blocks):
            layers += [nn.Conv2d(features, features, 3, padding=1), nn.LeakyReLU(SLOPE, inplace=True)]
        layers += [nn.Conv2d(features, 3 * scale * scale, 3, padding=1)]
        self.body = nn.Sequential(*layers)
        self.shuffle = nn.PixelShuffle(scale)
        # Start the last conv near zero so the untrained net equals nearest upsampling
        # instead of adding noise on top of it.
        nn.init.normal_(layers[-1].weight, std=1e-3)
        nn.init.zeros_(layers[-1].bias)

    def forward(self, image: torch.Tensor, denoise: torch.Tensor) -> torch.Tensor:
        return self.upscaled(image, self.body(self.with_strength(image, denoise)))

    @staticmethod
    def with_strength(image: torch.Tensor, denoise: torch.Tensor) -> torch.Tensor:
        """The body's input: the image and the strength as a 4th channel. denoise is [B] (training)
        or [1] (ONNX contract); broadcast it to a plane."""
        d_plane = denoise.reshape(-1, 1, 1, 1) * torch.ones_like(image[:, :1])
        return torch.cat([image, d_plane], dim=1)

    def upscaled(self, image: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """The body's output (3*s*s channels) shuffled to the output size, over nearest upsampling."""
        return self.shuffle(features) + F.interpolate(image, scale_factor=self.scale, mode="nearest")

    # --- numbers for the manifest / model card -----------------------------------
    @property
    def receptive_field(self) -> int:
        return self.blocks + 2

    @property
    def widest_activation(self) -> int:
        return max(self.features, 3 * self.scale * self.scale)

    def params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def flops_per_lr_pixel(self) -> int:
        """Multiply-adds x2 of all convs per LR pixel (bias/activation/residual ignored)."""
        F_, s = self.features, self.scale
        macs = 9 * (4 * F_ + self.blocks * F_ * F_ + F_ * 3 * s * s)
        return 2 * macs

    def flops_per_output_pixel(self) -> float:
        return self.flops_per_lr_pixel() / (self.scale * self.scale)


class ContextSR(CompactSR):
    """CompactSR with dilated residual blocks in the middle of its body: more context per pixel
    (a face's eyes, nose and mouth at once; 48x10 with dilations 2, 4, 8 sees 40 LR px instead of
    12 for +54 % FLOPs), still exactly tileable.

    Each block is x + conv_d(act(conv_d(x))) with dilation d; the second conv starts at zero, so
    a ContextSR grown from a CompactSR (the same `body.K` tensors) starts as that model.
    Receptive field: blocks + 2 + sum(2 d) over the blocks' dilations."""

    def __init__(self, scale: int = 4, features: int = 32, blocks: int = 8, dilations=(2, 4, 8)):
        super().__init__(scale, features, blocks)
        self.dilations = tuple(dilations)
        self.insert_at = 2 * (1 + blocks // 2)      # after the first half of the body's conv+act pairs
        convs = []
        for d in self.dilations:
            a = nn.Conv2d(features, features, 3, padding=d, dilation=d)
            b = nn.Conv2d(features, features, 3, padding=d, dilation=d)
            nn.init.zeros_(b.weight)
            nn.init.zeros_(b.bias)
            convs += [a, b]
        self.context = nn.ModuleList(convs)

    def forward(self, image: torch.Tensor, denoise: torch.Tensor) -> torch.Tensor:
        x = self.body[: self.insert_at](self.with_strength(image, denoise))
        for a, b in zip(self.context[0::2], self.context[1::2]):
            x = x + b(F.leaky_relu(a(x), SLOPE))
        return self.upscaled(image, self.body[self.insert_at:](x))

    @property
    def receptive_field(self) -> int:
        return self.blocks + 2 + 2 * sum(self.dilations)

    def flops_per_lr_pixel(self) -> int:
        return super().flops_per_lr_pixel() + 2 * 9 * self.features * self.features * 2 * len(self.dilations)


def build(cfg: dict) -> CompactSR:
    if cfg.get("dilations"):
        return ContextSR(cfg["scale"], cfg["features"], cfg["blocks"], cfg["dilations"])
    return CompactSR(cfg["scale"], cfg["features"], cfg["blocks"])


def from_checkpoint(path) -> CompactSR:
    """The network of a train.py checkpoint (its "cfg" and "model" weights), in eval mode."""
    ck = torch.load(path, map_location="cpu")
    model = build(ck["cfg"])
    model.load_state_dict(ck["model"])
    return model.eval()


def from_onnx(m) -> CompactSR:
    """The network of an exported ONNX model (a ModelProto): its initializers keep the state_dict
    names, and their shapes give the config. Loading is strict, so a missing or extra tensor fails."""
    from onnx import numpy_helper
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
    convs = sorted((n for n in weights if n.startswith("body.") and n.endswith(".weight")),
                   key=lambda n: int(n.split(".")[1]))
    features, last = weights[convs[0]].shape[0], weights[convs[-1]].shape[0]
    scale = round((last / 3) ** 0.5)
    assert 3 * scale * scale == last, f"last conv has {last} channels, not 3*s*s"
    # a ContextSR's dilated blocks: their dilation is an attribute of the Conv nodes, not a tensor
    dilation = {n.input[1]: list(next((a.ints for a in n.attribute if a.name == "dilations"), [1, 1]))[0]
                for n in m.graph.node if n.op_type == "Conv"}
    context = sorted((n for n in weights if n.startswith("context.") and n.endswith(".weight")),
                     key=lambda n: int(n.split(".")[1]))
    if context:
        model = ContextSR(scale, features, len(convs) - 2, [dilation[n] for n in context[0::2]])
    else:
        model = CompactSR(scale, features, len(convs) - 2)
    model.load_state_dict(weights, strict=True)
    return model.eval()
