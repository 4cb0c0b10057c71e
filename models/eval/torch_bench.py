"""Time one shipped model in PyTorch on the CPU: the baseline for `upscaler bench`.

`upscaler bench` compares our engine against what a Real-ESRGAN Python user would
run: models/training/model.py's CompactSR (as-is) with the ONNX file's weights, in
PyTorch on the CPU. So as not to handicap PyTorch it uses inference mode and a fixed
thread count, times eager NCHW, eager channels_last and frozen TorchScript, reports the
best, and tunes the allocator (see _reexec_with_tuned_allocator). It first checks the
weights on models/reference/<id>.* (export.py's output, which ShippedModelTests holds
ONNX Runtime to), so no timing is reported for a model that computes something else.

    /usr/bin/python3 models/eval/torch_bench.py --model models/general/general-x4.onnx \
        --size 1000 [--threads 2] [--repeat 2] [--denoise 0.5] [--allocator default]

Needs Debian's python3-torch, python3-onnx and python3-numpy (hence /usr/bin/python3).
Progress goes to stderr; stdout gets exactly one JSON line, parsed by the C# bench.
On any failure: exit 1 with a one-line message on stderr.
"""
import argparse, importlib.util, json, os, resource, sys, sysconfig, time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIR = os.path.join("/usr/lib", sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu")
BIG = str(1 << 36)  # 64 GiB: "never" for the glibc thresholds below


def _reexec_with_tuned_allocator(args):
    """glibc serves blocks above the mmap threshold (dynamic, at most 32 MiB by default)
    with mmap and unmaps them on free, and trims the heap top, so every run page-faults
    its ~200 MB activations in again. Keep freed memory in the process instead:
    jemalloc/tcmalloc if installed, else glibc with both thresholds huge. malloc reads
    these only at startup, hence one re-exec, guarded by TORCH_BENCH_ALLOC."""
    if args.allocator == "default":
        return "glibc malloc, default settings"
    if "TORCH_BENCH_ALLOC" in os.environ:
        return os.environ["TORCH_BENCH_ALLOC"]
    env = dict(os.environ)
    names = ("libjemalloc.so.2", "libtcmalloc.so.4", "libtcmalloc_minimal.so.4")
    lib = next((p for p in (os.path.join(LIBDIR, n) for n in names) if os.path.exists(p)), None)
    if lib:
        env["LD_PRELOAD"] = ":".join(filter(None, [env.get("LD_PRELOAD"), lib]))
        env["TORCH_BENCH_ALLOC"] = os.path.basename(lib) + " via LD_PRELOAD"
    else:
        env.update(MALLOC_MMAP_THRESHOLD_=BIG, MALLOC_TRIM_THRESHOLD_=BIG)
        env["TORCH_BENCH_ALLOC"] = f"glibc malloc, MALLOC_MMAP_THRESHOLD_={BIG} MALLOC_TRIM_THRESHOLD_={BIG}"
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


def build_model(onnx_path):
    """model.py's CompactSR holding the ONNX file's weights (model.from_onnx)."""
    import onnx
    spec = importlib.util.spec_from_file_location("model", os.path.join(HERE, "..", "training", "model.py"))
    model_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model_py)
    return model_py.from_onnx(onnx.load(onnx_path))


def check_fixture(model, model_id):
    """Max |torch - fixture|; exits if above the fixture's tolerance. The fixture's
    output is export.py's PyTorch output, which the C# tests hold ONNX Runtime to."""
    import numpy as np, torch
    ref = os.path.join(HERE, "..", "reference")
    with open(os.path.join(ref, model_id + ".json")) as f:
        meta = json.load(f)
    if meta.get("layout", "NCHW") != "NCHW":
        sys.exit(f"torch_bench: unsupported fixture layout {meta['layout']}")
    read = lambda k: np.fromfile(os.path.join(ref, meta[k]), "<f4").reshape(meta[k + "Shape"])
    y = model(torch.from_numpy(read("input")), torch.tensor([meta["denoise"]], dtype=torch.float32))
    diff = float(np.abs(y.numpy() - read("output")).max())
    if not diff <= meta.get("tolerance", 1e-4):
        sys.exit(f"torch_bench: {model_id}: max |torch - reference output| = {diff:.3g} on the "
                 f"reference fixture exceeds {meta.get('tolerance', 1e-4):g}: not the same weights")
    return diff


def test_image(size):
    """Deterministic photo-like input: smooth colour gradients plus seeded texture."""
    import numpy as np
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    smooth = np.stack([xx, yy, 0.5 + 0.5 * np.sin(6.0 * (xx + yy))])
    texture = np.random.default_rng(1234).random((3, size, size), dtype=np.float32)
    return np.clip(0.8 * smooth + 0.2 * texture, 0, 1)[None].astype(np.float32)


def time_variant(name, fn, repeat, reference):
    """One warm-up run (checked against eager NCHW's output), then the best of `repeat`."""
    import torch
    with torch.inference_mode():
        out = fn()
        if reference is not None and not float((out - reference).abs().max()) <= 1e-4:
            sys.exit(f"torch_bench: variant {name} computes something else than eager NCHW")
        best, faults = float("inf"), 0
        for _ in range(repeat):
            f0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    # Page faults show whether the allocator tuning works: ~0 when freed memory is reused.
    print(f"  {name:<27} {best:8.3f} s  ({faults} page faults in the last run)", file=sys.stderr)
    return best, out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="path to a CompactSR .onnx (fp32)")
    p.add_argument("--size", type=int, default=1000, help="input is size x size")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--denoise", type=float, default=0.5)
    p.add_argument("--allocator", choices=["tuned", "default"], default="tuned",
                   help="'default' skips the allocator tuning (to measure what it gives)")
    args = p.parse_args()
    allocator = _reexec_with_tuned_allocator(args)

    import copy, torch
    torch.set_num_threads(args.threads)
    model_id = os.path.splitext(os.path.basename(args.model))[0]
    model = build_model(args.model)
    # Set up outside inference mode: weights converted inside it become inference
    # tensors, which optimize_for_inference's oneDNN pass then rejects.
    cl_model = copy.deepcopy(model).to(memory_format=torch.channels_last)
    with torch.inference_mode():
        diff = check_fixture(model, model_id)
    print(f"torch {torch.__version__}, {args.threads} threads, {allocator}; {model_id} "
          f"matches the fixture to {diff:.2g}; {args.size}x{args.size}, best of {args.repeat}:",
          file=sys.stderr)
    x, d = torch.from_numpy(test_image(args.size)), torch.tensor([args.denoise])
    x_cl = x.contiguous(memory_format=torch.channels_last)
    times, ref = {}, None
    times["eager"], ref = time_variant("eager", lambda: model(x, d), args.repeat, None)
    times["eager_channels_last"], _ = time_variant(
        "eager_channels_last", lambda: cl_model(x_cl, d), args.repeat, ref)
    # TorchScript in whichever layout won in eager mode. Freezing folds the weights
    # into the graph; optimize_for_inference also moves convs to oneDNN tensors, but
    # 1.13 cannot fuse LeakyReLU there and converts to/from dense around every conv,
    # which can make it slower: time both rather than guess.
    cl = times["eager_channels_last"] < times["eager"]
    fmt, m, xj = ("channels_last", cl_model, x_cl) if cl else ("nchw", model, x)
    with torch.no_grad():
        crop = xj[:, :, :64, :64].clone()  # small: tracing runs the model once
        frozen = lambda: torch.jit.freeze(torch.jit.trace(m, (crop, d)).eval())
        jit = {f"jit_frozen_{fmt}": frozen()}
        try:
            jit[f"jit_optimized_{fmt}"] = torch.jit.optimize_for_inference(frozen())
        except Exception as e:  # not fatal: the frozen trace alone is a fair variant
            print(f"  (optimize_for_inference failed: {e})", file=sys.stderr)
    for name, f in jit.items():
        times[name], _ = time_variant(name, lambda: f(xj, d), args.repeat, ref)

    best = min(times, key=times.get)
    print(f"  best: {best} {times[best]:.3f} s", file=sys.stderr)
    print(json.dumps({"model": model_id, "size": args.size, "threads": args.threads,
                      "torch": torch.__version__, "allocator": allocator, "best_variant": best,
                      "seconds": round(times[best], 4),
                      "variants": {k: round(v, 4) for k, v in times.items()},
                      "max_abs_diff_vs_reference": diff}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # keep the C# side's contract: exit 1, one line on stderr
        sys.exit(f"torch_bench: {type(e).__name__}: {e}")
