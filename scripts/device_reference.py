"""What a user would pick instead of darwin-breit's dense matvec, timed beside it on the lent GPU:
a float32 GEMV y = M x with PyTorch (torch.mv) or CuPy (cupy.matmul) on a matrix of the same size,
and the same library's copy bandwidth on a buffer as large as the matrix (bytes read + written, as
in `darwin-breit bench`). Without CUDA it times NumPy on the CPU, so the script can be checked here.

    python3 scripts/device_reference.py 3072 6144 12288 > "$OUT/reference.json"

Prints one JSON object: {"library", "device", "rows": [{"unknowns", "gemv_ms", "gemv_gbps",
"copy_ms", "copy_gbps", "gemv_ratio_to_copy"}]}; times are medians of --repeats runs after a warm-up.
"""

import argparse
import json
import statistics
import time


def timer(library):
    """elapsed_ms(run) for the library's device: CUDA events on a GPU, perf_counter on a CPU."""
    if library == "torch":
        import torch

        def elapsed(run):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            run()
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end)

        return elapsed
    if library == "cupy":
        import cupy

        def elapsed(run):
            start, end = cupy.cuda.Event(), cupy.cuda.Event()
            start.record()
            run()
            end.record()
            end.synchronize()
            return cupy.cuda.get_elapsed_time(start, end)

        return elapsed

    def elapsed(run):
        start = time.perf_counter()
        run()
        return 1e3 * (time.perf_counter() - start)

    return elapsed


def arrays():
    """(library, device name) of the first library present: torch with CUDA, cupy, else numpy."""
    try:
        import torch

        if torch.cuda.is_available():
            return "torch", torch.cuda.get_device_name(0)
    except ImportError:
        pass
    try:
        import cupy

        return "cupy", cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    except ImportError:
        pass
    import platform

    return "numpy", platform.processor() or platform.machine()


def measure(library, n, repeats):
    elapsed = timer(library)
    if library == "torch":
        import torch

        m = torch.rand((n, n), dtype=torch.float32, device="cuda")
        x = torch.rand(n, dtype=torch.float32, device="cuda")
        y = torch.empty(n, dtype=torch.float32, device="cuda")
        copy = torch.empty_like(m)
        gemv = lambda: torch.mv(m, x, out=y)
        copy_run = lambda: copy.copy_(m)
    else:
        xp = __import__("cupy" if library == "cupy" else "numpy")
        m = xp.random.random((n, n)).astype(xp.float32)
        x = xp.random.random(n).astype(xp.float32)
        y = xp.empty(n, dtype=xp.float32)
        copy = xp.empty_like(m)
        gemv = lambda: xp.matmul(m, x, out=y)
        copy_run = lambda: xp.copyto(copy, m)
    times = {}
    for name, run in (("gemv", gemv), ("copy", copy_run)):
        elapsed(run)
        times[name] = statistics.median(elapsed(run) for _ in range(repeats))
    matrix_bytes = 4 * n * n
    gemv_gbps = (matrix_bytes + 8 * n) / (times["gemv"] * 1e-3) / 1e9
    copy_gbps = 2 * matrix_bytes / (times["copy"] * 1e-3) / 1e9
    return {
        "unknowns": n,
        "gemv_ms": times["gemv"],
        "gemv_gbps": gemv_gbps,
        "copy_ms": times["copy"],
        "copy_gbps": copy_gbps,
        "gemv_ratio_to_copy": gemv_gbps / copy_gbps,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("unknowns", type=int, nargs="+", help="rows of the square float32 matrix")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    library, device = arrays()
    rows = [measure(library, n, args.repeats) for n in args.unknowns]
    print(json.dumps({"library": library, "device": device, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
