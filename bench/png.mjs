// A tiny RGB canvas, a 5x7 bitmap font and a PNG encoder (zlib from Node, CRC32 computed here):
// enough to draw the benchmark's bar chart without a chart library.
import * as zlib from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// PNG encoding

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** 8-bit RGB, no interlace; each scanline gets filter byte 0 (none). */
export function encodePNG(canvas) {
  const { width, height, data } = canvas;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    data.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Canvas

export function hex(c) {
  const n = parseInt(c.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export class Canvas {
  constructor(width, height, background = '#ffffff') {
    this.width = width;
    this.height = height;
    this.data = Buffer.alloc(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  pixel(x, y, rgb) {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = rgb[0];
    this.data[i + 1] = rgb[1];
    this.data[i + 2] = rgb[2];
  }

  fillRect(x, y, w, h, color) {
    const rgb = typeof color === 'string' ? hex(color) : color;
    const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w)), y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.pixel(xx, yy, rgb);
  }

  strokeRect(x, y, w, h, color) {
    this.fillRect(x, y, w, 1, color);
    this.fillRect(x, y + h - 1, w, 1, color);
    this.fillRect(x, y, 1, h, color);
    this.fillRect(x + w - 1, y, 1, h, color);
  }

  /** Horizontal line; dash > 0 draws dash-pixel segments with dash-pixel gaps. */
  hline(x0, x1, y, color, dash = 0, thickness = 1) {
    const rgb = typeof color === 'string' ? hex(color) : color;
    for (let x = Math.round(x0); x <= Math.round(x1); x++) {
      if (dash > 0 && Math.floor((x - x0) / dash) % 2 === 1) continue;
      for (let t = 0; t < thickness; t++) this.pixel(x, y + t, rgb);
    }
  }

  vline(x, y0, y1, color) {
    this.fillRect(x, Math.min(y0, y1), 1, Math.abs(y1 - y0) + 1, color);
  }

  /** Text in the 5x7 font; each glyph cell is 6x8 font pixels, scaled by `scale`. */
  text(x, y, s, color = '#000000', scale = 2) {
    const rgb = typeof color === 'string' ? hex(color) : color;
    let cx = x;
    for (const ch of normalize(s)) {
      const g = FONT[ch] ?? FONT['?'];
      for (let row = 0; row < g.length; row++)
        for (let col = 0; col < 5; col++)
          if (g[row][col] === '#') this.fillRect(cx + col * scale, y + row * scale, scale, scale, rgb);
      cx += 6 * scale;
    }
    return cx - x;
  }

  /** Text rotated 90° counter-clockwise (reads bottom to top), starting at (x, y) going up. */
  textUp(x, y, s, color = '#000000', scale = 2) {
    const rgb = typeof color === 'string' ? hex(color) : color;
    let cy = y;
    for (const ch of normalize(s)) {
      const g = FONT[ch] ?? FONT['?'];
      for (let row = 0; row < g.length; row++)
        for (let col = 0; col < 5; col++)
          if (g[row][col] === '#') this.fillRect(x + row * scale, cy - (col + 1) * scale, scale, scale, rgb);
      cy -= 6 * scale;
    }
  }
}

export function textWidth(s, scale = 2) {
  return normalize(s).length * 6 * scale - scale;
}

function normalize(s) {
  return [...String(s).replace(/[–—]/g, '-').replace(/×/g, 'x').replace(/≤/g, '<=').replace(/≥/g, '>=')];
}

// ---------------------------------------------------------------------------------------------
// 5x7 font: 7 rows of 5 columns per glyph, '#' set; g, j, p, q, y have an 8th (descender) row.

const G = (s) => s.trim().split(/\s+/);

const FONT = {
  ' ': G('..... ..... ..... ..... ..... ..... .....'),
  '0': G('.###. #...# #..## #.#.# ##..# #...# .###.'),
  '1': G('..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.'),
  '2': G('.###. #...# ....# ...#. ..#.. .#... #####'),
  '3': G('##### ...#. ..#.. ...#. ....# #...# .###.'),
  '4': G('...#. ..##. .#.#. #..#. ##### ...#. ...#.'),
  '5': G('##### #.... ####. ....# ....# #...# .###.'),
  '6': G('..##. .#... #.... ####. #...# #...# .###.'),
  '7': G('##### ....# ...#. ..#.. .#... .#... .#...'),
  '8': G('.###. #...# #...# .###. #...# #...# .###.'),
  '9': G('.###. #...# #...# .#### ....# ...#. .##..'),
  A: G('.###. #...# #...# ##### #...# #...# #...#'),
  B: G('####. #...# #...# ####. #...# #...# ####.'),
  C: G('.###. #...# #.... #.... #.... #...# .###.'),
  D: G('###.. #..#. #...# #...# #...# #..#. ###..'),
  E: G('##### #.... #.... ####. #.... #.... #####'),
  F: G('##### #.... #.... ####. #.... #.... #....'),
  G: G('.###. #...# #.... #.### #...# #...# .####'),
  H: G('#...# #...# #...# ##### #...# #...# #...#'),
  I: G('.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.'),
  J: G('..### ...#. ...#. ...#. ...#. #..#. .##..'),
  K: G('#...# #..#. #.#.. ##... #.#.. #..#. #...#'),
  L: G('#.... #.... #.... #.... #.... #.... #####'),
  M: G('#...# ##.## #.#.# #.#.# #...# #...# #...#'),
  N: G('#...# #...# ##..# #.#.# #..## #...# #...#'),
  O: G('.###. #...# #...# #...# #...# #...# .###.'),
  P: G('####. #...# #...# ####. #.... #.... #....'),
  Q: G('.###. #...# #...# #...# #.#.# #..#. .##.#'),
  R: G('####. #...# #...# ####. #.#.. #..#. #...#'),
  S: G('.#### #.... #.... .###. ....# ....# ####.'),
  T: G('##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..'),
  U: G('#...# #...# #...# #...# #...# #...# .###.'),
  V: G('#...# #...# #...# #...# #...# .#.#. ..#..'),
  W: G('#...# #...# #...# #.#.# #.#.# #.#.# .#.#.'),
  X: G('#...# #...# .#.#. ..#.. .#.#. #...# #...#'),
  Y: G('#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..'),
  Z: G('##### ....# ...#. ..#.. .#... #.... #####'),
  a: G('..... ..... .###. ....# .#### #...# .####'),
  b: G('#.... #.... #.##. ##..# #...# #...# ####.'),
  c: G('..... ..... .###. #.... #.... #...# .###.'),
  d: G('....# ....# .##.# #..## #...# #...# .####'),
  e: G('..... ..... .###. #...# ##### #.... .###.'),
  f: G('..##. .#..# .#... ###.. .#... .#... .#...'),
  g: G('..... ..... .#### #...# #...# .#### ....# .###.'),
  h: G('#.... #.... #.##. ##..# #...# #...# #...#'),
  i: G('..#.. ..... .##.. ..#.. ..#.. ..#.. .###.'),
  j: G('...#. ..... ..##. ...#. ...#. ...#. #..#. .##..'),
  k: G('#.... #.... #..#. #.#.. ##... #.#.. #..#.'),
  l: G('.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.'),
  m: G('..... ..... ##.#. #.#.# #.#.# #...# #...#'),
  n: G('..... ..... #.##. ##..# #...# #...# #...#'),
  o: G('..... ..... .###. #...# #...# #...# .###.'),
  p: G('..... ..... #.##. ##..# #...# ####. #.... #....'),
  q: G('..... ..... .##.# #..## #...# .#### ....# ....#'),
  r: G('..... ..... #.##. ##..# #.... #.... #....'),
  s: G('..... ..... .###. #.... .###. ....# ####.'),
  t: G('.#... .#... ###.. .#... .#... .#..# ..##.'),
  u: G('..... ..... #...# #...# #...# #..## .##.#'),
  v: G('..... ..... #...# #...# #...# .#.#. ..#..'),
  w: G('..... ..... #...# #...# #.#.# #.#.# .#.#.'),
  x: G('..... ..... #...# .#.#. ..#.. .#.#. #...#'),
  y: G('..... ..... #...# #...# #...# .#### ....# .###.'),
  z: G('..... ..... ##### ...#. ..#.. .#... #####'),
  '.': G('..... ..... ..... ..... ..... .##.. .##..'),
  ',': G('..... ..... ..... ..... .##.. ..#.. .#...'),
  ':': G('..... .##.. .##.. ..... .##.. .##.. .....'),
  ';': G('..... .##.. .##.. ..... .##.. ..#.. .#...'),
  '-': G('..... ..... ..... .###. ..... ..... .....'),
  '+': G('..... ..#.. ..#.. ##### ..#.. ..#.. .....'),
  '/': G('..... ....# ...#. ..#.. .#... #.... .....'),
  '(': G('...#. ..#.. .#... .#... .#... ..#.. ...#.'),
  ')': G('.#... ..#.. ...#. ...#. ...#. ..#.. .#...'),
  '[': G('.###. .#... .#... .#... .#... .#... .###.'),
  ']': G('.###. ...#. ...#. ...#. ...#. ...#. .###.'),
  '%': G('##... ##..# ...#. ..#.. .#... #..## ...##'),
  '=': G('..... ..... ##### ..... ##### ..... .....'),
  '_': G('..... ..... ..... ..... ..... ..... #####'),
  '<': G('...#. ..#.. .#... #.... .#... ..#.. ...#.'),
  '>': G('.#... ..#.. ...#. ....# ...#. ..#.. .#...'),
  '*': G('..... ..#.. #.#.# .###. #.#.# ..#.. .....'),
  '#': G('.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.'),
  '|': G('..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..'),
  '?': G('.###. #...# ....# ...#. ..#.. ..... ..#..'),
  '!': G('..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..'),
  "'": G('..#.. ..#.. .#... ..... ..... ..... .....'),
  '"': G('.#.#. .#.#. ..... ..... ..... ..... .....'),
  '~': G('..... ..... .#... #.#.# ...#. ..... .....'),
  '`': G('.#... ..#.. ..... ..... ..... ..... .....'),
  '@': G('.###. #...# #.### #.#.# #.### #.... .###.'),
  '&': G('.##.. #..#. #.#.. .#... #.#.# #..#. .##.#'),
  '^': G('..#.. .#.#. #...# ..... ..... ..... .....'),
  '$': G('..#.. .#### #.#.. .###. ..#.# ####. ..#..'),
};

// ---------------------------------------------------------------------------------------------
// Grouped bar chart

/**
 * groups: [{ label, values: [number|null per series] }]; series: [{ name, color }];
 * floor: { label, value } drawn as a dashed line across the plot.
 */
export function barChart({ title, subtitle, yLabel, groups, series, floor, width = 1500, height = 800 }) {
  const S = 2; // font scale
  const left = 90, right = 30, bottom = 100;
  // The subtitle wraps at "; " to fit the width.
  const subLines = [];
  for (const part of (subtitle ?? '').split('; ').filter(Boolean)) {
    const last = subLines.length - 1;
    if (last >= 0 && textWidth(`${subLines[last]}; ${part}`, S) <= width - left - right) subLines[last] += `; ${part}`;
    else subLines.push(part);
  }
  const top = 80 + subLines.length * 20;
  const c = new Canvas(width, height);
  const pw = width - left - right, ph = height - top - bottom;

  c.text(left, 18, title, '#111111', 3);
  subLines.forEach((l, i) => c.text(left, 52 + i * 20, l, '#444444', S));

  const maxVal = Math.max(...groups.flatMap((g) => g.values.filter((v) => v != null)), floor?.value ?? 0) || 1;
  const step = niceStep(maxVal / 6);
  const yMax = Math.ceil((maxVal * 1.12) / step) * step;
  const y = (v) => top + ph - (v / yMax) * ph;

  // grid and y axis
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    const yy = Math.round(y(v));
    c.hline(left, left + pw, yy, v === 0 ? '#333333' : '#e2e2e2');
    const lab = fmtTick(v);
    c.text(left - 10 - textWidth(lab, S), yy - 7, lab, '#333333', S);
  }
  c.vline(left, top, top + ph, '#333333');
  if (yLabel) c.textUp(18, top + ph / 2 + textWidth(yLabel, S) / 2, yLabel, '#333333', S);

  // node floor, under the bars
  if (floor) c.hline(left, left + pw, Math.round(y(floor.value)) - 1, '#cc0000', 8, 2);

  // bars, then their value labels (on a white patch, so a line under them does not hide them)
  const gw = pw / groups.length;
  const n = Math.max(...groups.map((g) => g.values.filter((v) => v != null).length));
  const bw = Math.min(48, (gw * 0.85) / n);
  groups.forEach((g, gi) => {
    const present = g.values.map((v, i) => [v, i]).filter(([v]) => v != null);
    const gx = left + gi * gw + (gw - present.length * bw) / 2;
    present.forEach(([v, si], k) => {
      const x = gx + k * bw;
      const yy = y(v);
      c.fillRect(x + 2, yy, bw - 4, top + ph - yy, series[si].color);
    });
    present.forEach(([v], k) => {
      const x = gx + k * bw;
      const yy = y(v);
      const lab = v >= 10 ? v.toFixed(0) : v.toFixed(1);
      const sc = textWidth(lab, S) <= bw + 4 ? S : 1;
      const tw = textWidth(lab, sc);
      c.fillRect(x + bw / 2 - tw / 2 - 1, yy - 8 * sc - 4, tw + 2, 7 * sc + 2, '#ffffff');
      c.text(x + bw / 2 - tw / 2, yy - 8 * sc - 3, lab, '#222222', sc);
    });
    const gl = g.label;
    c.text(left + gi * gw + gw / 2 - textWidth(gl, S) / 2, top + ph + 12, gl, '#111111', S);
  });

  // legend
  let lx = left;
  const ly = height - 46;
  for (const s of series) {
    c.fillRect(lx, ly, 22, 16, s.color);
    lx += 30;
    lx += c.text(lx, ly + 1, s.name, '#111111', S) + 30;
  }
  if (floor) {
    c.hline(lx, lx + 22, ly + 7, '#cc0000', 4, 2);
    lx += 30;
    c.text(lx, ly + 1, `${floor.label} = ${floor.value.toFixed(1)} ms (Node start floor)`, '#111111', S);
  }
  return c;
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function fmtTick(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
