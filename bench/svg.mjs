// The benchmark's grouped bar chart as an SVG document: plain text, so it is diffable and renders
// on any code host (GitHub, GitLab, a browser), with no chart library and no image encoder.

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const num = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** An estimate of a text's width in a sans-serif font (no font metrics here): for wrapping only. */
function textWidth(s, size) {
  return String(s).length * size * 0.6;
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

const fmtTick = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/**
 * groups: [{ label, values: [number|null per series] }]; series: [{ name, color }];
 * floor: { label, value } drawn as a dashed line across the plot. Returns the SVG document.
 */
export function barChart({ title, subtitle, yLabel, groups, series, floor, width = 1500, height = 800 }) {
  const FS = 14; // body font size
  const left = 80,
    right = 30,
    bottom = 96;
  // The subtitle wraps at "; " to fit the width.
  const subLines = [];
  for (const part of (subtitle ?? '').split('; ').filter(Boolean)) {
    const last = subLines.length - 1;
    if (last >= 0 && textWidth(`${subLines[last]}; ${part}`, FS) <= width - left - right) subLines[last] += `; ${part}`;
    else subLines.push(part);
  }
  const top = 70 + subLines.length * 20;
  const pw = width - left - right,
    ph = height - top - bottom;
  const o = [];
  o.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="${FS}">`,
  );
  o.push(`<title>${esc(title ?? '')}</title>`);
  o.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  o.push(`<text x="${left}" y="36" font-size="22" font-weight="bold" fill="#111111">${esc(title ?? '')}</text>`);
  subLines.forEach((l, i) => o.push(`<text x="${left}" y="${62 + i * 20}" fill="#444444">${esc(l)}</text>`));

  const values = groups.flatMap((g) => g.values.filter((v) => v != null && Number.isFinite(v)));
  const maxVal = Math.max(...values, floor?.value ?? 0, 0) || 1;
  const step = niceStep(maxVal / 6);
  const yMax = Math.ceil((maxVal * 1.12) / step) * step;
  const y = (v) => top + ph - (v / yMax) * ph;

  // grid and y axis
  o.push(`<g stroke-width="1" shape-rendering="crispEdges">`);
  for (let k = 0; k * step <= yMax + 1e-9; k++) {
    const v = k * step;
    const yy = num(y(v));
    o.push(`<line x1="${left}" y1="${yy}" x2="${left + pw}" y2="${yy}" stroke="${v === 0 ? '#333333' : '#e2e2e2'}"/>`);
  }
  o.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333333"/>`);
  o.push(`</g>`);
  o.push(`<g fill="#333333" text-anchor="end">`);
  for (let k = 0; k * step <= yMax + 1e-9; k++) o.push(`<text x="${left - 8}" y="${num(y(k * step) + 5)}">${fmtTick(k * step)}</text>`);
  o.push(`</g>`);
  if (yLabel) {
    const cy = num(top + ph / 2);
    o.push(`<text x="22" y="${cy}" fill="#333333" text-anchor="middle" transform="rotate(-90 22 ${cy})">${esc(yLabel)}</text>`);
  }

  // the floor, under the bars
  if (floor && Number.isFinite(floor.value)) {
    const yy = num(y(floor.value));
    o.push(`<line x1="${left}" y1="${yy}" x2="${left + pw}" y2="${yy}" stroke="#cc0000" stroke-width="2" stroke-dasharray="8 8"/>`);
  }

  // bars, then their value labels (on a white patch, so a line under them does not hide them)
  const gw = pw / Math.max(1, groups.length);
  const n = Math.max(1, ...groups.map((g) => g.values.filter((v) => v != null).length));
  const bw = Math.min(48, (gw * 0.85) / n);
  const labels = [];
  groups.forEach((g, gi) => {
    const present = g.values.map((v, i) => [v, i]).filter(([v]) => v != null && Number.isFinite(v));
    const gx = left + gi * gw + (gw - present.length * bw) / 2;
    present.forEach(([v, si], k) => {
      const x = gx + k * bw;
      const yy = y(v);
      o.push(
        `<rect x="${num(x + 2)}" y="${num(yy)}" width="${num(Math.max(1, bw - 4))}" height="${num(top + ph - yy)}" fill="${esc(series[si].color)}"><title>${esc(`${series[si].name}, ${g.label}: ${v.toFixed(2)}`)}</title></rect>`,
      );
      const lab = v >= 10 ? v.toFixed(0) : v.toFixed(1);
      const size = textWidth(lab, 12) <= bw + 4 ? 12 : 9;
      const tw = textWidth(lab, size);
      const cx = x + bw / 2;
      labels.push(
        `<rect x="${num(cx - tw / 2 - 2)}" y="${num(yy - size - 5)}" width="${num(tw + 4)}" height="${size + 2}" fill="#ffffff"/>`,
      );
      labels.push(`<text x="${num(cx)}" y="${num(yy - 5)}" font-size="${size}" text-anchor="middle" fill="#222222">${lab}</text>`);
    });
    o.push(`<text x="${num(left + gi * gw + gw / 2)}" y="${top + ph + 22}" text-anchor="middle" fill="#111111">${esc(g.label)}</text>`);
  });
  o.push(...labels);

  // legend
  let lx = left;
  const ly = height - 40;
  for (const s of series) {
    o.push(`<rect x="${lx}" y="${ly}" width="22" height="16" fill="${esc(s.color)}"/>`);
    lx += 30;
    o.push(`<text x="${lx}" y="${ly + 13}" fill="#111111">${esc(s.name)}</text>`);
    lx += Math.ceil(textWidth(s.name, FS)) + 30;
  }
  if (floor && Number.isFinite(floor.value)) {
    o.push(`<line x1="${lx}" y1="${ly + 8}" x2="${lx + 22}" y2="${ly + 8}" stroke="#cc0000" stroke-width="2" stroke-dasharray="4 4"/>`);
    lx += 30;
    o.push(
      `<text x="${lx}" y="${ly + 13}" fill="#111111">${esc(`${floor.label} = ${floor.value.toFixed(1)} ms (Node start floor)`)}</text>`,
    );
  }
  o.push(`</svg>`);
  return o.join('\n') + '\n';
}
