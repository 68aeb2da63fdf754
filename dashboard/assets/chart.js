// A small line chart drawn with inline SVG: no library. A Series keeps
// the last `size` points; draw() renders one or more series of equal
// length in an <svg viewBox="0 0 300 80">, newest on the right: the width
// spans the points kept, at least `minSpan` of them (a chart of the first
// seconds does not stretch them over the whole width).

const minSpan = 60;

const svgNS = "http://www.w3.org/2000/svg";
const W = 300;
const H = 80;

export class Series {
  constructor(size) {
    this.size = size;
    this.points = [];
  }
  push(v) {
    this.points.push(Number.isFinite(v) ? v : 0);
    if (this.points.length > this.size) this.points.shift();
  }
}

// niceMax rounds the top of the scale up to 1, 2 or 5 times a power of
// ten, so that the axis label is a round number.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) {
    if (v <= m * p) return m * p;
  }
  return 10 * p;
}

function node(name, attrs) {
  const n = document.createElementNS(svgNS, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

// draw replaces the chart in svg with the series (each {series, cls}),
// scaled to the largest point, and returns the scale's top (a round
// number, for a label beside the chart: text inside a stretched SVG
// would be stretched too).
export function draw(svg, lines) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  let max = 0;
  for (const l of lines) for (const v of l.series.points) max = Math.max(max, v);
  const top = niceMax(max);
  for (const y of [0.25, 0.5, 0.75]) {
    svg.appendChild(node("line", { x1: 0, x2: W, y1: H * y, y2: H * y, class: "grid" }));
  }
  for (const l of lines) {
    const pts = l.series.points;
    if (pts.length === 0) continue;
    const step = W / (Math.max(pts.length, minSpan) - 1);
    const x0 = W - (pts.length - 1) * step;
    const coords = pts.map((v, i) => (x0 + i * step).toFixed(1) + "," + (H - (v / top) * (H - 2) - 1).toFixed(1));
    if (coords.length === 1) coords.push(coords[0]);
    svg.appendChild(node("polyline", { points: coords.join(" "), class: "line " + l.cls, "vector-effect": "non-scaling-stroke" }));
  }
  return top;
}
