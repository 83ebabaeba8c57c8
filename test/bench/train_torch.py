# The PyTorch side of test/bench/train.mjs: the same training step (Linear 256→1024, GELU,
# Linear 1024→512, batch 64, MSE, AdamW lr 1e-3 wd 0.01) on the CPU at 2 threads. Prints one JSON
# line; exits 3 when torch cannot be imported.
import json, os, statistics, sys, time

try:
    import torch
except ImportError as e:
    print(json.dumps({"error": f"torch not installed: {e}"}))
    sys.exit(3)

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
torch.manual_seed(0)
B, I, H, O = 64, 256, 1024, 512
model = torch.nn.Sequential(torch.nn.Linear(I, H), torch.nn.GELU(), torch.nn.Linear(H, O))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
x, y = torch.randn(B, I), torch.randn(B, O)
loss_fn = torch.nn.MSELoss()

def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()

first = step()
for _ in range(5):
    step()
per_step = []
for _ in range(5):
    t = time.perf_counter()
    for _ in range(20):
        last = step()
    per_step.append((time.perf_counter() - t) / 20 * 1e3)
ms = statistics.median(per_step)
libs = sorted({l.split()[-1] for l in open(f"/proc/{os.getpid()}/maps") if any(k in l for k in ("blas", "gomp"))})
params = I * H + H + H * O + O
print(json.dumps({
    "torch": torch.__version__, "threads": torch.get_num_threads(), "ms_per_step": round(ms, 3),
    "steps_per_s": round(1000 / ms, 1), "gflops": round(6 * params * B / ms / 1e6, 1),
    "rounds_ms": [round(v, 2) for v in per_step], "loss_first": round(first, 4), "loss_last": round(last, 4),
    "blas": libs, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
}))
