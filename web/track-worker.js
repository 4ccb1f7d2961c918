// truce track painter: the pixels of the live-track canvas, drawn off the page's main thread.
//
// The page (app.js, `TrackCanvas`) decides everything about a frame on its main thread, where the tracks,
// the filter and the view live: which tracks are in view, where each symbol goes, which trail points
// count, which callsigns fit without overlapping. It sends that as a display list of typed arrays, and
// this worker only paints it: stamping ten thousand symbols and stroking their trails is most of a
// frame's cost, and here it leaves the main thread free for the stream, the pointer and the rest of the
// map (web/README.md, "Tracks are drawn on one canvas, painted off the main thread").
//
// Two canvases, handed over with transferControlToOffscreen, are painted in turn: a frame goes to the
// hidden one and the page shows it (and moves it to the frame's place) when this worker says it is
// drawn, so a pan or a zoom never shows the old picture at the new place. The page sends the next frame
// only after that answer, so at most one frame is in flight.
//
// Messages from the page:
//   {type: 'init', canvases: [OffscreenCanvas, OffscreenCanvas]}
//   {type: 'sprite', id, w, h, image: ImageData}   a symbol, w × h CSS px, the image at the pixel ratio
//   {type: 'frame', gen, target, width, height, ratio, trails, stamps, labels, font}
//       width and height in device px; every coordinate in CSS px from the canvas's top-left corner;
//       trails: [{colour, points: Float32Array (x, y pairs), counts: Uint16Array (points per trail)}];
//       stamps: Float32Array of (sprite id, x, y) triples, the symbol's top-left corner;
//       labels: {boxes: Float32Array of (x, y, w, h) quadruples, texts: [string]}
// Messages to the page:
//   {type: 'drawn', gen, ms}   the frame is on its canvas, painted in `ms` milliseconds

'use strict';

let canvases = [];
const sprites = new Map(); // id -> {image: ImageBitmap, w, h} (CSS px)

self.onmessage = (ev) => {
  const m = ev.data;
  if (m.type === 'init') {
    canvases = m.canvases;
  } else if (m.type === 'sprite') {
    const canvas = new OffscreenCanvas(m.image.width, m.image.height);
    canvas.getContext('2d').putImageData(m.image, 0, 0);
    sprites.set(m.id, { image: canvas.transferToImageBitmap(), w: m.w, h: m.h });
  } else if (m.type === 'frame') {
    const t0 = performance.now();
    paint(m);
    const ms = performance.now() - t0;
    // The canvas is committed when this task ends; the answer goes in a later task, so the page does
    // not show the canvas before its new picture has reached the screen.
    setTimeout(() => self.postMessage({ type: 'drawn', gen: m.gen, ms }), 0);
  }
};

function paint(m) {
  const canvas = canvases[m.target];
  if (!canvas) return;
  if (canvas.width !== m.width) canvas.width = m.width;
  if (canvas.height !== m.height) canvas.height = m.height;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(m.ratio, 0, 0, m.ratio, 0, 0);

  // Trails below every symbol, one path per kind.
  ctx.lineWidth = 1.5;
  ctx.lineJoin = 'round';
  ctx.globalAlpha = 0.75;
  for (const { colour, points, counts } of m.trails) {
    if (!counts.length) continue;
    ctx.beginPath();
    let k = 0;
    for (let t = 0; t < counts.length; t++) {
      ctx.moveTo(points[k], points[k + 1]);
      for (let j = 1; j < counts[t]; j++) ctx.lineTo(points[k + 2 * j], points[k + 2 * j + 1]);
      k += 2 * counts[t];
    }
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
  ctx.globalAlpha = 1;

  // Symbols, in the page's order (the last drawn is on top).
  const s = m.stamps;
  for (let i = 0; i + 2 < s.length; i += 3) {
    const sprite = sprites.get(s[i]);
    if (sprite) ctx.drawImage(sprite.image, s[i + 1], s[i + 2], sprite.w, sprite.h);
  }

  // Callsigns on a light box.
  const { boxes, texts } = m.labels;
  if (texts.length) {
    ctx.font = m.font;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
    for (let i = 0; i < texts.length; i++) ctx.fillRect(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
    ctx.fillStyle = '#212529';
    for (let i = 0; i < texts.length; i++) {
      ctx.fillText(texts[i], boxes[4 * i] + 3, boxes[4 * i + 1] + boxes[4 * i + 3] / 2 + 0.5);
    }
  }
}
