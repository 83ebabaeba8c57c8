/**
 * Line charts as inline SVG strings: no browser, no library, deterministic output. A chart is a
 * pure function of its spec, so the page can be diffed and the scaling tested without rendering.
 */

export type Point = readonly [x: number, y: number];

export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
}

export interface ChartSpec {
  /** Names the chart in the DOM (`data-chart`), for tests and links: e.g. `tune/loss`. */
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Categorical x axis: one labelled tick per entry instead of numeric ticks. */
  readonly xTicks?: readonly { readonly at: number; readonly label: string }[];
  /** A fixed y range (accuracy: 0..1); otherwise the data's, padded. */
  readonly yDomain?: readonly [number, number];
  /** Draw a dot on every point: for short, categorical series. */
  readonly markers?: boolean;
}

export interface PlotArea {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

/** The rectangle the data is drawn in; the margins hold the title, ticks and axis labels. */
export function plotArea(width: number, height: number): PlotArea {
  return { left: 64, top: 28, right: width - 16, bottom: height - 44 };
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Short tick labels: 3 significant digits, exponent form for very small or large values. */
export function formatNumber(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1).replace(/\.0e/, "e").replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The points that can be drawn: a NaN or an infinity (a diverged loss, a missing field) is left out. */
export function finitePoints(points: readonly Point[]): Point[] {
  return points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
}

function extent(values: readonly number[], pad: boolean): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  if (pad) {
    const d = (hi - lo) * 0.05;
    lo -= d;
    hi += d;
  }
  return [lo, hi];
}

/** Maps data coordinates into the plot area (y grows downwards in SVG). */
export function scaler(area: PlotArea, xDomain: readonly [number, number], yDomain: readonly [number, number]): (p: Point) => Point {
  const [x0, x1] = xDomain;
  const [y0, y1] = yDomain;
  return ([x, y]) => [
    area.left + ((x - x0) / (x1 - x0)) * (area.right - area.left),
    area.bottom - ((y - y0) / (y1 - y0)) * (area.bottom - area.top),
  ];
}

const r2 = (v: number) => String(Math.round(v * 100) / 100);

export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 480;
  const height = spec.height ?? 260;
  const area = plotArea(width, height);
  const series = spec.series.map((s) => ({ name: s.name, points: finitePoints(s.points) }));
  const all = series.flatMap((s) => s.points);
  const head = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${escapeXml(spec.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(spec.title)}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" class="chart-title">${escapeXml(spec.title)}</text>`,
  ];
  const frame = `<rect class="plot" x="${area.left}" y="${area.top}" width="${area.right - area.left}" height="${area.bottom - area.top}" fill="none" stroke="#888"/>`;
  if (!all.length) {
    const note = `<text class="no-data" x="${(area.left + area.right) / 2}" y="${(area.top + area.bottom) / 2}" text-anchor="middle" fill="#888">no data</text>`;
    return [...head, frame, note, "</svg>"].join("\n");
  }
  const xDomain = spec.xTicks?.length
    ? extent(spec.xTicks.map((t) => t.at).concat(all.map(([x]) => x)), false)
    : extent(all.map(([x]) => x), false);
  // Categorical axes keep their first and last points off the frame.
  const xd: [number, number] = spec.xTicks?.length ? [xDomain[0] - 0.5, xDomain[1] + 0.5] : xDomain;
  const yd = spec.yDomain ?? extent(all.map(([, y]) => y), true);
  const at = scaler(area, xd, yd);
  const body: string[] = [frame];
  for (const v of niceTicks(yd[0], yd[1])) {
    const [, y] = at([xd[0], v]);
    body.push(`<line x1="${area.left}" x2="${area.right}" y1="${r2(y)}" y2="${r2(y)}" stroke="#eee"/>`);
    body.push(`<text x="${area.left - 6}" y="${r2(y + 4)}" text-anchor="end" class="tick">${formatNumber(v)}</text>`);
  }
  const xTicks = spec.xTicks?.length ? spec.xTicks : niceTicks(xd[0], xd[1]).map((v) => ({ at: v, label: formatNumber(v) }));
  for (const t of xTicks) {
    const [x] = at([t.at, yd[0]]);
    body.push(`<line x1="${r2(x)}" x2="${r2(x)}" y1="${area.bottom}" y2="${area.bottom + 4}" stroke="#888"/>`);
    body.push(`<text x="${r2(x)}" y="${area.bottom + 16}" text-anchor="middle" class="tick">${escapeXml(t.label)}</text>`);
  }
  body.push(`<text x="${(area.left + area.right) / 2}" y="${height - 8}" text-anchor="middle" class="axis-label">${escapeXml(spec.xLabel)}</text>`);
  body.push(`<text transform="translate(14 ${(area.top + area.bottom) / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(spec.yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    if (!s.points.length) return;
    const pts = s.points.map((p) => at(p).map(r2).join(",")).join(" ");
    body.push(`<polyline class="series" data-series="${escapeXml(s.name)}" fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`);
    if (spec.markers) for (const p of s.points) {
      const [x, y] = at(p);
      body.push(`<circle cx="${r2(x)}" cy="${r2(y)}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: ${formatNumber(p[1])}`)}</title></circle>`);
    }
    if (series.length > 1) {
      const ly = area.top + 12 + i * 14;
      body.push(`<line x1="${area.right - 110}" x2="${area.right - 96}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
      body.push(`<text x="${area.right - 92}" y="${ly}" class="legend">${escapeXml(s.name)}</text>`);
    }
  });
  return [...head, ...body, "</svg>"].join("\n");
}
