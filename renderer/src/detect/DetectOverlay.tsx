import OpenSeadragon from 'openseadragon';
import { useEffect, useRef } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import { CLASS_COLOURS, type Detection } from '../../../electron/common/detect-contract';
import { currentTransform } from '../viewer/image-transform';
import { useOpenSeadragon } from '../viewer/viewer-context';
import { currentResult, detectionsOf, useDetect, visibleDetections } from './detect-store';

/**
 * Detection boxes over the zoomable image, drawn on one canvas: one path per
 * class, only the boxes in view, redrawn on every pan/zoom frame. Thousands of
 * boxes cost one stroke per class, not thousands of DOM nodes. Crops of the
 * cascade can be shown dashed (groups white, weak individuals grey). Clicking
 * a box selects it in the Detect list.
 */
export function DetectOverlay({ image }: { image: ImageInfo }) {
  const viewer = useOpenSeadragon();
  const canvas = useRef<HTMLCanvasElement>(null);
  const entry = useDetect((s) => detectionsOf(s, image.id));
  const selected = useDetect((s) => s.selected);
  const select = useDetect((s) => s.select);
  const drawRef = useRef<() => void>(() => undefined);
  const shown = useRef<Detection[]>([]);

  const detections = visibleDetections(entry);
  const result = currentResult(entry);
  shown.current = detections;

  drawRef.current = () => {
    const el = canvas.current;
    if (!el || !viewer) return;
    const view = currentTransform(viewer);
    const dpr = window.devicePixelRatio || 1;
    const width = view?.width ?? 0;
    const height = view?.height ?? 0;
    if (el.width !== Math.round(width * dpr) || el.height !== Math.round(height * dpr)) {
      el.width = Math.round(width * dpr);
      el.height = Math.round(height * dpr);
      el.style.width = `${width}px`;
      el.style.height = `${height}px`;
    }
    const g = el.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    if (!view || !result || result.imageId !== image.id) {
      el.dataset.drawn = '0';
      return;
    }
    // Visible part of the image, in image pixels.
    const x0 = -view.ox / view.s;
    const y0 = -view.oy / view.s;
    const x1 = (width - view.ox) / view.s;
    const y1 = (height - view.oy) / view.s;
    const inView = (b: readonly number[]) => b[0] < x1 && b[0] + b[2] > x0 && b[1] < y1 && b[1] + b[3] > y0;
    const rect = (b: readonly number[], min = 3) => {
      const w = Math.max(min, b[2] * view.s);
      const h = Math.max(min, b[3] * view.s);
      g.rect(view.ox + b[0] * view.s + (b[2] * view.s - w) / 2, view.oy + b[1] * view.s + (b[3] * view.s - h) / 2, w, h);
    };

    if (entry.showCrops) {
      // Crops read at full resolution: a light veil (visible when zoomed out) and a dashed edge.
      for (const group of [true, false]) {
        g.beginPath();
        for (const c of result.crops) if (c.group === group && inView(c.box)) rect(c.box, 4);
        g.fillStyle = group ? 'rgba(255,255,255,.16)' : 'rgba(160,168,184,.12)';
        g.fill();
        g.setLineDash(view.s * 128 > 40 ? [5, 4] : []);
        g.lineWidth = 1.2;
        g.strokeStyle = group ? 'rgba(255,255,255,.9)' : 'rgba(170,178,194,.75)';
        g.stroke();
      }
      g.setLineDash([]);
    }

    // Boxes: a dark halo, then one coloured path per class.
    const byClass = new Map<number, Detection[]>();
    let drawn = 0;
    for (const d of shown.current) {
      if (!inView(d.box)) continue;
      drawn++;
      (byClass.get(d.class) ?? byClass.set(d.class, []).get(d.class)!).push(d);
    }
    const thin = view.s < 0.35;
    g.beginPath();
    for (const list of byClass.values()) for (const d of list) rect(d.box);
    g.strokeStyle = 'rgba(0,0,0,.6)';
    g.lineWidth = thin ? 2.5 : 3.5;
    g.stroke();
    for (const [cls, list] of byClass) {
      g.beginPath();
      for (const d of list) rect(d.box);
      g.strokeStyle = CLASS_COLOURS[cls % CLASS_COLOURS.length];
      g.lineWidth = thin ? 1.2 : 1.8;
      g.stroke();
    }
    const sel = selected !== null ? shown.current.find((d) => d.id === selected) : undefined;
    if (sel) {
      g.beginPath();
      const pad = 4 / view.s;
      rect([sel.box[0] - pad, sel.box[1] - pad, sel.box[2] + 2 * pad, sel.box[3] + 2 * pad], 10);
      g.strokeStyle = '#ffffff';
      g.lineWidth = 2;
      g.stroke();
    }
    el.dataset.drawn = String(drawn);
  };

  useEffect(() => {
    if (!viewer) return;
    let frame = 0;
    const update = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => drawRef.current());
    };
    const click = (event: OpenSeadragon.CanvasClickEvent) => {
      if (!event.quick) return;
      const item = viewer.world.getItemAt(0);
      if (!item) return;
      const p = item.viewerElementToImageCoordinates(event.position);
      const view = currentTransform(viewer);
      const slack = view ? 3 / view.s : 0;
      // The smallest box under the pointer wins (boxes can nest).
      let best: Detection | null = null;
      for (const d of shown.current) {
        const [x, y, w, h] = d.box;
        if (p.x >= x - slack && p.x <= x + w + slack && p.y >= y - slack && p.y <= y + h + slack && (!best || w * h < best.box[2] * best.box[3])) best = d;
      }
      if (best) select(best.id);
    };
    const events = ['update-viewport', 'open', 'resize', 'animation-finish'] as const;
    for (const name of events) viewer.addHandler(name, update);
    viewer.addHandler('canvas-click', click);
    update();
    return () => {
      cancelAnimationFrame(frame);
      for (const name of events) viewer.removeHandler(name, update);
      viewer.removeHandler('canvas-click', click);
    };
  }, [viewer, select]);

  // Redraw when the data or the filters change.
  useEffect(() => {
    drawRef.current();
  });

  if (!result || result.imageId !== image.id) return null;
  return (
    <canvas
      ref={canvas}
      className="detect-overlay"
      data-testid="detect-overlay"
      data-boxes={detections.length}
      data-crops={entry.showCrops ? result.crops.length : 0}
      aria-label={`${detections.length} detections`}
    />
  );
}
