import { describe, expect, it } from "vitest";
import { finitePoints, formatNumber, lineChart, niceTicks, plotArea, type ChartSpec } from "../../src/report/chart.js";

const spec = (points: ChartSpec["series"][number]["points"], extra: Partial<ChartSpec> = {}): ChartSpec => ({
  id: "s/loss", title: "s: loss", xLabel: "step", yLabel: "loss", series: [{ name: "loss", points }], ...extra,
});

/** The drawn vertices of every polyline in an SVG string. */
function polylines(svg: string): [number, number][][] {
  return [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1]!.split(" ").map((p) => p.split(",").map(Number) as [number, number]));
}

describe("lineChart", () => {
  it("scales every point into the plot area, the extremes onto its edges in x", () => {
    const pts = Array.from({ length: 50 }, (_, i) => [i + 1, 3 / (i + 1)] as const);
    const svg = lineChart(spec(pts));
    const a = plotArea(480, 260);
    const [line] = polylines(svg);
    expect(line).toHaveLength(50);
    for (const [x, y] of line!) {
      expect(x).toBeGreaterThanOrEqual(a.left);
      expect(x).toBeLessThanOrEqual(a.right);
      expect(y).toBeGreaterThanOrEqual(a.top);
      expect(y).toBeLessThanOrEqual(a.bottom);
    }
    expect(line![0]![0]).toBe(a.left);
    expect(line!.at(-1)![0]).toBe(a.right);
    // The loss falls, so its line climbs down the picture: SVG's y grows downwards.
    expect(line![0]![1]).toBeLessThan(line!.at(-1)![1]);
  });

  it("maps a fixed y domain exactly: 0 on the bottom edge, 1 on the top", () => {
    const a = plotArea(300, 200);
    const [line] = polylines(lineChart(spec([[0, 0], [1, 1], [2, 0.5]], { width: 300, height: 200, yDomain: [0, 1] })));
    expect(line!.map(([, y]) => y)).toEqual([a.bottom, a.top, (a.top + a.bottom) / 2]);
  });

  it("an empty series draws a 'no data' note and no line", () => {
    const svg = lineChart(spec([]));
    expect(svg).toContain("<svg");
    expect(svg).toMatch(/class="no-data"[^>]*>no data</);
    expect(polylines(svg)).toEqual([]);
  });

  it("skips NaN and ±Infinity, and a series of nothing else is 'no data'", () => {
    const svg = lineChart(spec([[1, 2], [2, Number.NaN], [3, Number.POSITIVE_INFINITY], [Number.NaN, 1], [4, Number.NEGATIVE_INFINITY], [5, 1]]));
    expect(polylines(svg)[0]).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(lineChart(spec([[1, Number.NaN], [2, Number.POSITIVE_INFINITY]]))).toContain("no data");
    expect(finitePoints([[0, 1], [1, Number.NaN]])).toEqual([[0, 1]]);
  });

  it("a constant series is drawn mid-height, not divided by zero", () => {
    const a = plotArea(480, 260);
    const [line] = polylines(lineChart(spec([[1, 0.003], [2, 0.003], [3, 0.003]])));
    for (const [, y] of line!) expect(y).toBeCloseTo((a.top + a.bottom) / 2, 5);
  });

  it("a single point is drawn", () => {
    const [line] = polylines(lineChart(spec([[7, 1.5]])));
    expect(line).toHaveLength(1);
    expect(line![0]!.every(Number.isFinite)).toBe(true);
  });

  it("names the chart, escapes text, and labels categorical ticks", () => {
    const svg = lineChart({ ...spec([[0, 0.2], [1, 0.9]]), id: "accuracy", title: "a <b> & c", xTicks: [{ at: 0, label: "sft<1>" }, { at: 1, label: "grpo" }], markers: true });
    expect(svg).toContain('data-chart="accuracy"');
    expect(svg).toContain("a &lt;b&gt; &amp; c");
    expect(svg).toContain(">sft&lt;1&gt;</text>");
    expect(svg.match(/<circle/g)).toHaveLength(2);
  });

  it("draws a legend only with more than one series", () => {
    const two = lineChart({ ...spec([[0, 1], [1, 2]]), series: [{ name: "mean", points: [[0, 1], [1, 2]] }, { name: "std", points: [[0, 0.5], [1, 0.4]] }] });
    expect(two.match(/class="legend"/g)).toHaveLength(2);
    expect(lineChart(spec([[0, 1], [1, 2]]))).not.toContain('class="legend"');
  });
});

describe("ticks and numbers", () => {
  it("round ticks inside the range", () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 250)).toEqual([50, 100, 150, 200, 250]);
    for (const t of niceTicks(0.00012, 0.0031)) expect(t).toBeGreaterThanOrEqual(0.00012);
  });
  it("short labels for learning rates and losses", () => {
    expect(formatNumber(0.0003)).toBe("3e-4");
    expect(formatNumber(1.23456)).toBe("1.23");
    expect(formatNumber(250)).toBe("250");
    expect(formatNumber(0)).toBe("0");
  });
});
