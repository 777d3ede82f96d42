/**
 * A line chart as a PNG, with no dependency: an RGB raster drawn here (lines, markers, a 5×7 bitmap
 * font) and encoded with `node:zlib` (RFC 2083: IHDR, one IDAT, IEND; filter 0 on every row). Enough
 * for a benchmark's plot: axes from zero with round ticks, labelled x ticks at the data's x values,
 * a title, axis labels and a legend.
 */
import { deflateSync } from "node:zlib";

/** One line of the chart. */
export interface Series {
  readonly label: string;
  /** `#rrggbb`. */
  readonly color: string;
  readonly dashed?: boolean;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** What to draw. */
export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Default 960 × 600. */
  readonly width?: number;
  readonly height?: number;
}

// 5×7 glyphs, one 5-bit row per number (most significant bit on the left).
const GLYPHS: Record<string, readonly number[]> = {};
function glyphs(chars: string, rows: string): void {
  const list = rows.trim().split(/\s+/);
  for (let i = 0; i < chars.length; i++) {
    GLYPHS[chars[i]!] = list.slice(i * 7, i * 7 + 7).map((r) => Number.parseInt(r, 2));
  }
}
glyphs(
  "0123456789",
  `01110 10001 10011 10101 11001 10001 01110  00100 01100 00100 00100 00100 00100 01110
   01110 10001 00001 00010 00100 01000 11111  11111 00010 00100 00010 00001 10001 01110
   00010 00110 01010 10010 11111 00010 00010  11111 10000 11110 00001 00001 10001 01110
   00110 01000 10000 11110 10001 10001 01110  11111 00001 00010 00100 01000 01000 01000
   01110 10001 10001 01110 10001 10001 01110  01110 10001 10001 01111 00001 00010 01100`,
);
glyphs(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  `01110 10001 10001 10001 11111 10001 10001  11110 10001 10001 11110 10001 10001 11110
   01110 10001 10000 10000 10000 10001 01110  11100 10010 10001 10001 10001 10010 11100
   11111 10000 10000 11110 10000 10000 11111  11111 10000 10000 11110 10000 10000 10000
   01110 10001 10000 10111 10001 10001 01111  10001 10001 10001 11111 10001 10001 10001
   01110 00100 00100 00100 00100 00100 01110  00111 00010 00010 00010 00010 10010 01100
   10001 10010 10100 11000 10100 10010 10001  10000 10000 10000 10000 10000 10000 11111
   10001 11011 10101 10101 10001 10001 10001  10001 10001 11001 10101 10011 10001 10001
   01110 10001 10001 10001 10001 10001 01110  11110 10001 10001 11110 10000 10000 10000
   01110 10001 10001 10001 10101 10010 01101  11110 10001 10001 11110 10100 10010 10001
   01111 10000 10000 01110 00001 00001 11110  11111 00100 00100 00100 00100 00100 00100
   10001 10001 10001 10001 10001 10001 01110  10001 10001 10001 10001 10001 01010 00100
   10001 10001 10001 10101 10101 10101 01010  10001 10001 01010 00100 01010 10001 10001
   10001 10001 10001 01010 00100 00100 00100  11111 00001 00010 00100 01000 10000 11111`,
);
glyphs(
  "abcdefghijklmnopqrstuvwxyz",
  `00000 00000 01110 00001 01111 10001 01111  10000 10000 10110 11001 10001 10001 11110
   00000 00000 01110 10000 10000 10001 01110  00001 00001 01101 10011 10001 10001 01111
   00000 00000 01110 10001 11111 10000 01110  00110 01001 01000 11100 01000 01000 01000
   00000 01111 10001 10001 01111 00001 01110  10000 10000 10110 11001 10001 10001 10001
   00100 00000 01100 00100 00100 00100 01110  00010 00000 00110 00010 00010 10010 01100
   10000 10000 10010 10100 11000 10100 10010  01100 00100 00100 00100 00100 00100 01110
   00000 00000 11010 10101 10101 10001 10001  00000 00000 10110 11001 10001 10001 10001
   00000 00000 01110 10001 10001 10001 01110  00000 00000 11110 10001 11110 10000 10000
   00000 00000 01101 10011 01111 00001 00001  00000 00000 10110 11001 10000 10000 10000
   00000 00000 01110 10000 01110 00001 11110  01000 01000 11100 01000 01000 01001 00110
   00000 00000 10001 10001 10001 10011 01101  00000 00000 10001 10001 10001 01010 00100
   00000 00000 10001 10001 10101 10101 01010  00000 00000 10001 01010 00100 01010 10001
   00000 00000 10001 10001 01111 00001 01110  00000 00000 11111 00010 00100 01000 11111`,
);
glyphs(
  " .,:-+/()=%×_[]*?|<>'",
  `00000 00000 00000 00000 00000 00000 00000  00000 00000 00000 00000 00000 01100 01100
   00000 00000 00000 00000 01100 00100 01000  00000 01100 01100 00000 01100 01100 00000
   00000 00000 00000 11111 00000 00000 00000  00000 00100 00100 11111 00100 00100 00000
   00000 00001 00010 00100 01000 10000 00000  00010 00100 01000 01000 01000 00100 00010
   01000 00100 00010 00010 00010 00100 01000  00000 00000 11111 00000 11111 00000 00000
   11000 11001 00010 00100 01000 10011 00011  00000 10001 01010 00100 01010 10001 00000
   00000 00000 00000 00000 00000 00000 11111  01110 01000 01000 01000 01000 01000 01110
   01110 00010 00010 00010 00010 00010 01110  00000 00100 10101 01110 10101 00100 00000
   01110 10001 00001 00010 00100 00000 00100  00100 00100 00100 00100 00100 00100 00100
   00010 00100 01000 10000 01000 00100 00010  01000 00100 00010 00001 00010 00100 01000
   00100 00100 01000 00000 00000 00000 00000`,
);
// Letters with a descender: drawn two dots lower (x-height in the top five rows, the tail below).
glyphs(
  "gpqy",
  `01111 10001 10001 01111 00001 00001 01110  11110 10001 10001 11110 10000 10000 10000
   01111 10001 10001 01111 00001 00001 00001  10001 10001 10001 01111 00001 00001 01110`,
);
const DESCENDERS = new Set(["g", "p", "q", "y"]);
/** Characters without a glyph are drawn as these. */
const FALLBACK: Record<string, string> = { "−": "-", "–": "-", "—": "-", "≈": "~", "→": ">", "÷": "/" };

type Rgb = readonly [number, number, number];

function rgb(hex: string): Rgb {
  const n = Number.parseInt(hex.replace("#", ""), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** An RGB raster with the few drawing operations the chart needs. */
class Raster {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }

  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const i = (yi * this.width + xi) * 3;
    this.pixels[i] = c[0];
    this.pixels[i + 1] = c[1];
    this.pixels[i + 2] = c[2];
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }

  disc(cx: number, cy: number, r: number, c: Rgb): void {
    for (let j = -Math.ceil(r); j <= Math.ceil(r); j++)
      for (let i = -Math.ceil(r); i <= Math.ceil(r); i++)
        if (i * i + j * j <= r * r) this.set(cx + i, cy + j, c);
  }

  /** A line `thickness` pixels wide; dashed: 10 px on, 7 off. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1, dashed = false): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(length * 2));
    for (let s = 0; s <= steps; s++) {
      const d = (s / steps) * length;
      if (dashed && d % 17 > 10) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      if (thickness <= 1) this.set(x, y, c);
      else this.disc(x, y, thickness / 2, c);
    }
  }

  /** Text in the bitmap font at `scale` pixels per dot; `vertical` reads bottom to top. */
  text(s: string, x: number, y: number, c: Rgb, scale = 2, vertical = false): void {
    let pen = 0;
    for (const ch of s) {
      const g = GLYPHS[ch] ?? GLYPHS[FALLBACK[ch] ?? "?"] ?? GLYPHS["?"]!;
      const drop = DESCENDERS.has(ch) ? 2 : 0;
      for (let row = 0; row < 7; row++) {
        for (let col = 0; col < 5; col++) {
          if (!((g[row]! >> (4 - col)) & 1)) continue;
          const gx = pen + col * scale;
          const gy = (row + drop) * scale;
          if (vertical) this.rect(x + gy, y - gx - scale + 1, scale, scale, c);
          else this.rect(x + gx, y + gy, scale, scale, c);
        }
      }
      pen += 6 * scale;
    }
  }
}

/** Width in pixels of `s` in the bitmap font. */
function textWidth(s: string, scale = 2): number {
  return [...s].length * 6 * scale - scale;
}

/** A round step for about `count` ticks over [0, max]. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const f = raw / magnitude;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * magnitude;
}

function tickLabel(v: number): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  return Number(v.toPrecision(3)).toString();
}

/** Draws the chart and returns the PNG bytes. */
export function renderLineChart(chart: LineChart): Buffer {
  const width = chart.width ?? 960;
  const height = chart.height ?? 600;
  const img = new Raster(width, height);
  const ink: Rgb = [33, 33, 33];
  const grid: Rgb = [225, 225, 225];
  const left = 100;
  const right = width - 30;
  const top = 60;
  const bottom = height - 80;
  const points = chart.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...points.map((p) => p.x));
  const yMaxData = Math.max(0, ...points.map((p) => p.y).filter(Number.isFinite));
  const yStep = niceStep(yMaxData > 0 ? yMaxData : 1, 6);
  const yMax = Math.max(yStep, Math.ceil((yMaxData * 1.05) / yStep) * yStep);
  const xOf = (x: number) => left + (x / (xMax * 1.05)) * (right - left);
  const yOf = (y: number) => bottom - (y / yMax) * (bottom - top);

  img.text(chart.title, Math.max(10, (width - textWidth(chart.title)) / 2), 18, ink);
  // Grid and y ticks.
  for (let v = 0; v <= yMax + yStep / 1000; v += yStep) {
    const y = yOf(v);
    img.line(left, y, right, y, grid);
    const label = tickLabel(v);
    img.text(label, left - 10 - textWidth(label), y - 7, ink);
  }
  // x ticks at the data's x values.
  for (const x of [...new Set(points.map((p) => p.x))].sort((a, b) => a - b)) {
    img.line(xOf(x), top, xOf(x), bottom, grid);
    img.line(xOf(x), bottom, xOf(x), bottom + 6, ink, 2);
    const label = tickLabel(x);
    img.text(label, xOf(x) - textWidth(label) / 2, bottom + 12, ink);
  }
  // Axes.
  img.line(left, top, left, bottom, ink, 2);
  img.line(left, bottom, right, bottom, ink, 2);
  img.text(chart.xLabel, (left + right - textWidth(chart.xLabel)) / 2, height - 36, ink);
  img.text(chart.yLabel, 16, (top + bottom + textWidth(chart.yLabel)) / 2, ink, 2, true);

  for (const s of chart.series) {
    const c = rgb(s.color);
    const pts = s.points.filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    for (let i = 1; i < pts.length; i++)
      img.line(xOf(pts[i - 1]!.x), yOf(pts[i - 1]!.y), xOf(pts[i]!.x), yOf(pts[i]!.y), c, 3, s.dashed);
    for (const p of pts) {
      if (s.dashed) img.rect(xOf(p.x) - 4, yOf(p.y) - 4, 9, 9, c);
      else img.disc(xOf(p.x), yOf(p.y), 5, c);
    }
  }
  // Legend, top left inside the plot.
  const lx = left + 16;
  let ly = top + 12;
  const legendWidth = 60 + Math.max(0, ...chart.series.map((s) => textWidth(s.label)));
  img.rect(lx - 8, ly - 8, legendWidth, chart.series.length * 24 + 8, [255, 255, 255]);
  for (const s of chart.series) {
    const c = rgb(s.color);
    img.line(lx, ly + 6, lx + 36, ly + 6, c, 3, s.dashed);
    img.text(s.label, lx + 46, ly, ink);
    ly += 24;
  }
  return encodePng(img);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function encodePng(img: Raster): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  // compression, filter and interlace methods: 0
  const stride = img.width * 3;
  const raw = Buffer.alloc((stride + 1) * img.height);
  for (let y = 0; y < img.height; y++) {
    raw[y * (stride + 1)] = 0;
    raw.set(img.pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}
