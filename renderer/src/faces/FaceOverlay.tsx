import { useEffect, useState } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import { currentTransform, type ImageTransform } from '../viewer/image-transform';
import { useOpenSeadragon } from '../viewer/viewer-context';
import { facesOf, useFaces, visibleFaces } from './faces-store';

/**
 * Face boxes, keypoints and numbers drawn over the image in an SVG that
 * follows every pan and zoom frame. Hovering or clicking a box highlights
 * its card in the Faces panel, and the other way round.
 */
export function FaceOverlay({ image }: { image: ImageInfo }) {
  const viewer = useOpenSeadragon();
  const entry = useFaces((s) => facesOf(s, image.id));
  const hovered = useFaces((s) => s.hovered);
  const selected = useFaces((s) => s.selected);
  const hover = useFaces((s) => s.hover);
  const select = useFaces((s) => s.select);
  const [t, setT] = useState<ImageTransform | null>(null);

  useEffect(() => {
    if (!viewer) return;
    let frame = 0;
    const update = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setT(currentTransform(viewer)));
    };
    const events = ['update-viewport', 'open', 'resize', 'animation-finish'] as const;
    for (const name of events) viewer.addHandler(name, update);
    update();
    return () => {
      cancelAnimationFrame(frame);
      for (const name of events) viewer.removeHandler(name, update);
    };
  }, [viewer]);

  const faces = visibleFaces(entry);
  if (!t || !entry.result || entry.result.imageId !== image.id) return null;
  return (
    <svg className="faces-overlay" data-testid="faces-overlay" data-faces={faces.length} width={t.width} height={t.height} aria-label={`${faces.length} faces`}>
      {faces.map((f) => {
        const [x, y, w, h] = f.box;
        const sx = t.ox + x * t.s;
        const sy = t.oy + y * t.s;
        const active = f.id === hovered || f.id === selected;
        // Keypoints only where the face is big enough on screen to show them clearly.
        const r = Math.min(3.5, w * t.s * 0.05);
        const cls = `face-box${active ? ' active' : ''}${f.id === selected ? ' selected' : ''}`;
        return (
          <g
            key={f.id}
            className={cls}
            data-testid="face-box"
            data-face-id={f.id}
            onMouseEnter={() => hover(f.id)}
            onMouseLeave={() => hover(null)}
            onClick={() => select(f.id === selected ? null : f.id)}
          >
            <rect className="face-rect-shadow" x={sx} y={sy} width={w * t.s} height={h * t.s} rx={2} />
            <rect className="face-rect" x={sx} y={sy} width={w * t.s} height={h * t.s} rx={2} pointerEvents="all" />
            {r >= 1.2 && f.keypoints.map(([kx, ky], k) => (
              <circle key={k} className={k < 4 ? 'face-kp' : 'face-kp ear'} cx={t.ox + kx * t.s} cy={t.oy + ky * t.s} r={k < 4 ? r : r * 0.7} />
            ))}
            {/* The number sits above the box, or inside its top when the box touches the top of the view. */}
            <g transform={`translate(${sx}, ${sy - 17 < 0 && sy + h * t.s > 17 ? Math.max(0, sy) : sy - 17})`} className="face-badge">
              <rect width={f.id >= 10 ? 22 : 16} height={15} rx={4} />
              <text x={f.id >= 10 ? 11 : 8} y={11.5} textAnchor="middle">{f.id}</text>
            </g>
          </g>
        );
      })}
    </svg>
  );
}
