"""What the PyTorch step scripts share: the Adding batch and the timing of training steps."""
import time

import torch


def adding_batch(batch, length, generator):
    """(inputs [B, N, 2] of (x, mark), targets [B, 1]): x uniform in [-1, 1), two marked positions,
    target 0.5 + (x_a + x_b) / 4, as the sparsefactor generator defines the task."""
    x = torch.rand(batch, length, generator=generator) * 2 - 1
    marks = torch.zeros(batch, length)
    for b in range(batch):
        marks[b, torch.randperm(length, generator=generator)[:2]] = 1
    target = 0.5 + (x * marks).sum(dim=1, keepdim=True) / 4
    return torch.stack([x, marks], dim=-1), target


def time_steps(step, warmup, steps):
    """(median ms, min ms, process CPU ms per step) of `steps` calls of step() after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    cpu_start = time.process_time()
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    cpu_ms = (time.process_time() - cpu_start) * 1e3 / steps
    times.sort()
    middle = len(times) // 2
    median = times[middle] if len(times) % 2 else 0.5 * (times[middle - 1] + times[middle])
    return median, times[0], cpu_ms
