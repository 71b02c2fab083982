"""Hand-written SVG line charts for the attention results (no plotting library needed), and the
atomic file writes of the reports.

line_chart(series, ...) draws one polyline per series over a log2 x axis and a linear or log10
y axis; `series` maps a label to a list of (x, y) points (points with y None are skipped), and
the series named in `dashed` are drawn dashed.
bar_chart(groups, series, ...) draws grouped bars: one group per entry of `groups`, one bar per
series in each (`series` maps a label to one value per group, None for a missing bar), with
optional reference marks (`marks` maps a label to one value per group, drawn as ticks).
"""
import math
import os


COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]


def escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def line_chart(series, title, x_label, y_label, log_y=False, y_range=None, width=640, height=400, dashed=()):
    points = [(x, y) for values in series.values() for x, y in values if y is not None and (y > 0 or not log_y)]
    if not points:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60"><text x="10" y="30">{escape(title)}: no data</text></svg>\n'
    left, right, top, bottom = 70, 150, 40, 50
    xs = [math.log2(x) for x, _ in points]
    x_lo, x_hi = min(xs), max(xs)
    if x_hi == x_lo:
        x_hi = x_lo + 1
    if y_range:
        y_lo, y_hi = y_range
    elif log_y:
        y_lo = math.floor(math.log10(min(y for _, y in points)))
        y_hi = math.ceil(math.log10(max(y for _, y in points)))
        if y_hi == y_lo:
            y_hi += 1
    else:
        y_lo, y_hi = min(y for _, y in points), max(y for _, y in points)
        if y_hi == y_lo:
            y_hi = y_lo + 1

    def px(x):
        return left + (math.log2(x) - x_lo) / (x_hi - x_lo) * (width - left - right)

    def py(y):
        v = math.log10(y) if log_y else y
        return height - bottom - (v - y_lo) / (y_hi - y_lo) * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" fill="none" stroke="#999"/>']
    for k in range(int(x_lo), int(x_hi) + 1):
        x = left + (k - x_lo) / (x_hi - x_lo) * (width - left - right)
        out.append(f'<line x1="{x:.1f}" y1="{height - bottom}" x2="{x:.1f}" y2="{height - bottom + 4}" stroke="#999"/>')
        out.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">2^{k}</text>')
    ticks = range(int(y_lo), int(y_hi) + 1) if log_y else [y_lo + (y_hi - y_lo) * i / 5 for i in range(6)]
    for t in ticks:
        y = py(10 ** t if log_y else t)
        label = f"1e{t}" if log_y else f"{t:g}"
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="16" y="{(top + height - bottom) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 16 {(top + height - bottom) / 2})">{escape(y_label)}</text>')
    for i, (label, values) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        dash = ' stroke-dasharray="6 4"' if label in dashed else ""
        kept = [(x, y) for x, y in values if y is not None and (y > 0 or not log_y)]
        if len(kept) > 1:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in kept)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in kept:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        out.append(f'<line x1="{width - right + 10}" y1="{top + 14 + 16 * i}" x2="{width - right + 30}" y2="{top + 14 + 16 * i}" '
                   f'stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{width - right + 35}" y="{top + 18 + 16 * i}">{escape(label)}</text>')
    out.append("</svg>\n")
    return "\n".join(out)


def bar_chart(groups, series, title, y_label, y_range=(0, 100), marks=None, width=720, height=400):
    left, right, top, bottom = 60, 150, 40, 50
    y_lo, y_hi = y_range
    plot_w, plot_h = width - left - right, height - top - bottom
    group_w = plot_w / max(len(groups), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)

    def py(y):
        return height - bottom - (min(max(y, y_lo), y_hi) - y_lo) / (y_hi - y_lo) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>']
    for i in range(6):
        t = y_lo + (y_hi - y_lo) * i / 5
        out.append(f'<line x1="{left}" y1="{py(t):.1f}" x2="{width - right}" y2="{py(t):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    out.append(f'<text x="16" y="{(top + height - bottom) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 16 {(top + height - bottom) / 2})">{escape(y_label)}</text>')
    for g, name in enumerate(groups):
        x0 = left + g * group_w + group_w * 0.1
        out.append(f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(name)}</text>')
        for i, (label, values) in enumerate(series.items()):
            v = values[g]
            if v is None:
                continue
            color = COLORS[i % len(COLORS)]
            out.append(f'<rect x="{x0 + i * bar_w:.1f}" y="{py(v):.1f}" width="{bar_w * 0.9:.1f}" height="{py(y_lo) - py(v):.1f}" fill="{color}"/>')
        for j, (label, values) in enumerate((marks or {}).items()):
            v = values[g]
            if v is not None:
                out.append(f'<line x1="{x0:.1f}" y1="{py(v):.1f}" x2="{x0 + group_w * 0.8:.1f}" y2="{py(v):.1f}" '
                           f'stroke="#000" stroke-dasharray="{2 + 2 * j},2"/>')
    for i, label in enumerate(series):
        color = COLORS[i % len(COLORS)]
        out.append(f'<rect x="{width - right + 10}" y="{top + 6 + 16 * i}" width="14" height="10" fill="{color}"/>')
        out.append(f'<text x="{width - right + 30}" y="{top + 15 + 16 * i}">{escape(label)}</text>')
    for j, label in enumerate(marks or {}):
        y = top + 14 + 16 * (len(series) + j)
        out.append(f'<line x1="{width - right + 10}" y1="{y}" x2="{width - right + 24}" y2="{y}" stroke="#000" stroke-dasharray="{2 + 2 * j},2"/>')
        out.append(f'<text x="{width - right + 30}" y="{y + 4}">{escape(label)}</text>')
    out.append("</svg>\n")
    return "\n".join(out)


def atomic_write(path, text):
    """Replaces `path` by `text` through a temporary file and a rename (readers never see half a report)."""
    tmp = f"{path}.{os.getpid()}.tmp"   # unique: two sweeps may render at once
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
