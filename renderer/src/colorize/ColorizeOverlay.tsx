import OpenSeadragon from 'openseadragon';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import { api } from '../api/client';
import { pyramidTileSource } from '../viewer/tile-source';
import { useOpenSeadragon } from '../viewer/viewer-context';
import { photoOf, sampleTag, useColorize } from './colorize-store';

/**
 * What the stage shows while the Colorize tool is open and a photo has
 * colorizations: either the gallery (the original and every sample side by
 * side, each a tiled viewer of its full-resolution pyramid, zoom and pan
 * synchronized), or one sample over the original in the main viewer with a
 * before/after divider (the sample is a second tiled image clipped at the
 * divider, so it zooms and pans with the photo).
 */
export function ColorizeOverlay({ image }: { image: ImageInfo }) {
  const open = useColorize((s) => s.panelOpen);
  const view = useColorize((s) => s.view);
  const photo = useColorize((s) => photoOf(s, image.id));
  const sampleImages = useColorize((s) => s.sampleImages);
  const gallery = photo.gallery;
  if (!open || !gallery || gallery.imageId !== image.id || !gallery.samples.length) return null;
  const selected = gallery.samples[Math.min(photo.selected, gallery.samples.length - 1)];
  const selectedInfo = sampleImages[selected.imageId];
  if (view === 'compare') return selectedInfo ? <CompareView image={image} sample={selectedInfo} label={`Sample ${selected.index + 1}`} /> : null;
  const cells = gallery.samples.flatMap((s) => (sampleImages[s.imageId] ? [{ index: s.index, info: sampleImages[s.imageId], label: `${s.index + 1}`, tag: sampleTag(s) }] : []));
  return <GalleryView image={image} cells={cells} selected={selected.index} />;
}

// ---------------------------------------------------------------- before / after

function CompareView({ image, sample, label }: { image: ImageInfo; sample: ImageInfo; label: string }) {
  const viewer = useOpenSeadragon();
  const split = useColorize((s) => s.split);
  const setSplit = (value: number) => useColorize.getState().set({ split: value });
  const box = useRef<HTMLDivElement>(null);
  const item = useRef<OpenSeadragon.TiledImage | null>(null);
  const [loaded, setLoaded] = useState(false);
  const splitRef = useRef(split);
  splitRef.current = split;

  /** Clips the sample to the right of the divider, in image pixels. */
  const clip = () => {
    const v = viewer;
    const it = item.current;
    const base = v?.world.getItemAt(0);
    if (!v || !it || !base) return;
    const size = v.viewport.getContainerSize();
    const x = base.viewerElementToImageCoordinates(new OpenSeadragon.Point(splitRef.current * size.x, 0)).x;
    const left = Math.max(0, Math.min(image.width, x));
    it.setClip(new OpenSeadragon.Rect(left, 0, Math.max(0, image.width - left), image.height));
    v.forceRedraw();
  };

  useEffect(() => {
    if (!viewer) return;
    let cancelled = false;
    const add = () => {
      if (cancelled || item.current || viewer.world.getItemCount() < 1) return;
      const base = viewer.world.getItemAt(0);
      const bounds = base.getBounds();
      viewer.addTiledImage({
        tileSource: pyramidTileSource(sample, (level, x, y) => api.tileUrl(sample.id, level, x, y)),
        x: bounds.x,
        y: bounds.y,
        width: bounds.width,
        index: 1,
        success: (event) => {
          const added = (event as unknown as { item: OpenSeadragon.TiledImage }).item;
          if (cancelled) {
            viewer.world.removeItem(added);
            return;
          }
          item.current = added;
          added.addHandler('fully-loaded-change', () => setLoaded(true));
          clip();
          setLoaded(true);
        },
      });
    };
    const onOpen = () => {
      item.current = null;
      add();
    };
    viewer.addHandler('open', onOpen);
    viewer.addHandler('update-viewport', clip);
    viewer.addHandler('resize', clip);
    add();
    return () => {
      cancelled = true;
      viewer.removeHandler('open', onOpen);
      viewer.removeHandler('update-viewport', clip);
      viewer.removeHandler('resize', clip);
      if (item.current) viewer.world.removeItem(item.current);
      item.current = null;
      setLoaded(false);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [viewer, sample.id]);

  useEffect(clip, [split]); // eslint-disable-line react-hooks/exhaustive-deps

  const drag = (event: React.PointerEvent) => {
    const rect = box.current?.getBoundingClientRect();
    if (!rect) return;
    setSplit(Math.min(0.98, Math.max(0.02, (event.clientX - rect.left) / rect.width)));
  };

  return (
    <div ref={box} className="compare" data-testid="colorize-compare" data-sample={sample.id} data-split={split.toFixed(3)} data-loaded={loaded}>
      <span className="compare-label left">Original</span>
      <span className="compare-label right">{label}</span>
      <div
        className="compare-handle"
        style={{ left: `${split * 100}%` }}
        role="slider"
        aria-label="Before / after divider"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(split * 100)}
        tabIndex={0}
        data-testid="colorize-compare-handle"
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          drag(e);
        }}
        onPointerMove={(e) => {
          if (e.currentTarget.hasPointerCapture(e.pointerId)) drag(e);
        }}
        onKeyDown={(e) => {
          if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return; // the app's shortcuts (0, 1, +, −) still work here
          setSplit(e.key === 'ArrowLeft' ? Math.max(0.02, split - 0.05) : Math.min(0.98, split + 0.05));
          e.stopPropagation();
        }}
      >
        <span className="compare-knob" aria-hidden>
          ‹›
        </span>
      </div>
    </div>
  );
}

// ---------------------------------------------------------------- gallery

interface Cell {
  index: number;
  info: ImageInfo;
  label: string;
  /** What reproduces the sample: "seed 7 · 3/4". */
  tag: string | null;
}

/** Columns for n cells of aspect `aspect` (w/h) in a w × h area: the layout with the largest cells. */
function bestColumns(n: number, width: number, height: number, aspect: number): number {
  let best = 1;
  let bestScale = 0;
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const scale = Math.min(width / cols / aspect, height / rows);
    if (scale > bestScale) {
      bestScale = scale;
      best = cols;
    }
  }
  return best;
}

/**
 * Keeps a set of OpenSeadragon viewers on the same view: whichever the
 * user is working with leads, the others follow every frame (and the main
 * viewer, so the before/after view opens where the gallery was).
 */
class ViewSync {
  private readonly viewers = new Map<OpenSeadragon.Viewer, () => void>();
  private leader: OpenSeadragon.Viewer | null = null;
  private applying = false;

  constructor(private readonly main: OpenSeadragon.Viewer | null) {}

  add(viewer: OpenSeadragon.Viewer): void {
    const lead = () => (this.leader = viewer);
    viewer.element.addEventListener('pointerdown', lead, { capture: true });
    viewer.element.addEventListener('wheel', lead, { capture: true, passive: true });
    const follow = () => this.push(viewer);
    viewer.addHandler('update-viewport', follow);
    this.viewers.set(viewer, () => {
      viewer.element.removeEventListener('pointerdown', lead, { capture: true });
      viewer.element.removeEventListener('wheel', lead, { capture: true });
      viewer.removeHandler('update-viewport', follow);
    });
    // A new viewer starts where the others are (or where the main viewer was).
    viewer.addOnceHandler('open', () => {
      const from = [...this.viewers.keys()].find((v) => v !== viewer && v.world.getItemCount() > 0) ?? this.main;
      if (from?.world.getItemCount()) this.apply(viewer, from.viewport.getBounds(true));
    });
  }

  remove(viewer: OpenSeadragon.Viewer): void {
    this.viewers.get(viewer)?.();
    this.viewers.delete(viewer);
    if (this.leader === viewer) this.leader = null;
  }

  private push(from: OpenSeadragon.Viewer): void {
    if (this.applying || from !== this.leader) return;
    const bounds = from.viewport.getBounds(true);
    for (const other of this.viewers.keys()) if (other !== from) this.apply(other, bounds);
    if (this.main) this.apply(this.main, bounds);
  }

  private apply(viewer: OpenSeadragon.Viewer, bounds: OpenSeadragon.Rect): void {
    this.applying = true;
    try {
      viewer.viewport.fitBounds(bounds, true);
    } finally {
      this.applying = false;
    }
  }
}

function GalleryView({ image, cells, selected }: { image: ImageInfo; cells: Cell[]; selected: number }) {
  const main = useOpenSeadragon();
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const [sync] = useState(() => new ViewSync(main));

  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setSize({ width: element.clientWidth, height: element.clientHeight }));
    observer.observe(element);
    setSize({ width: element.clientWidth, height: element.clientHeight });
    return () => observer.disconnect();
  }, []);

  const all: Cell[] = [{ index: -1, info: image, label: 'Original', tag: null }, ...cells];
  const aspect = image.width / image.height;
  // With many samples the original takes 2 × 2 cells: the reference stays large enough to compare with.
  let big = cells.length >= 5;
  let columns = bestColumns(big ? cells.length + 4 : all.length, size.width, size.height, aspect);
  if (big && columns < 3) {
    big = false;
    columns = bestColumns(all.length, size.width, size.height, aspect);
  }
  const rows = Math.ceil((big ? cells.length + 4 : all.length) / columns);
  return (
    <div
      ref={box}
      className="colorize-gallery"
      data-testid="colorize-gallery"
      data-cells={all.length}
      style={{ gridTemplateColumns: `repeat(${columns}, 1fr)`, gridTemplateRows: `repeat(${rows}, 1fr)` }}
    >
      {all.map((cell) => (
        <GalleryCell key={cell.info.id} cell={cell} sync={sync} selected={cell.index === selected} photoId={image.id} span={big && cell.index < 0 ? 2 : 1} />
      ))}
    </div>
  );
}

function GalleryCell({ cell, sync, selected, photoId, span }: { cell: Cell; sync: ViewSync; selected: boolean; photoId: string; span: number }) {
  const element = useRef<HTMLDivElement>(null);
  const [tiles, setTiles] = useState(0);
  const [zoom, setZoom] = useState(0);

  useEffect(() => {
    const v = OpenSeadragon({
      element: element.current!,
      showNavigationControl: false,
      animationTime: 0.3,
      springStiffness: 9,
      zoomPerScroll: 1.3,
      maxZoomPixelRatio: 8,
      minZoomImageRatio: 0.5,
      visibilityRatio: 0.3,
      imageLoaderLimit: 4,
      maxImageCacheCount: 120,
      drawer: 'canvas',
      gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true, flickEnabled: true },
      keyboardNavEnabled: false,
    } as OpenSeadragon.Options);
    sync.add(v);
    v.addHandler('tile-loaded', () => setTiles((t) => t + 1));
    v.addHandler('update-viewport', () => {
      const it = v.world.getItemAt(0);
      if (it) setZoom(it.viewportToImageZoom(v.viewport.getZoom(true)));
    });
    v.addHandler('canvas-click', (event) => {
      if ((event as unknown as { quick: boolean }).quick && cell.index >= 0) useColorize.getState().select(photoId, cell.index);
    });
    v.open(pyramidTileSource(cell.info, (level, x, y) => api.tileUrl(cell.info.id, level, x, y)) as unknown as OpenSeadragon.TileSourceSpecifier);
    return () => {
      sync.remove(v);
      v.destroy();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cell.info.id, sync]);

  return (
    <div
      className={`gallery-cell${selected ? ' selected' : ''}${cell.index < 0 ? ' original' : ''}`}
      data-testid="gallery-cell"
      data-index={cell.index}
      data-image-id={cell.info.id}
      data-tiles-loaded={tiles}
      data-zoom={zoom.toFixed(4)}
      style={span > 1 ? { gridColumn: `span ${span}`, gridRow: `span ${span}` } : undefined}
    >
      <div ref={element} className="gallery-canvas" />
      <div className="gallery-label" title={cell.tag ? `Sample ${cell.label}: ${cell.tag}` : undefined}>
        {cell.index < 0 ? (
          <span>Original</span>
        ) : (
          <>
            <span className="gallery-num">{cell.label}</span>
            <span className="gallery-seed">{cell.tag}</span>
            <button
              type="button"
              className="gallery-compare"
              onClick={() => {
                useColorize.getState().select(photoId, cell.index);
                useColorize.getState().set({ view: 'compare' });
              }}
              title="Before / after: this sample over the original, with a divider"
              aria-label={`Before / after with sample ${cell.label}`}
              data-testid="gallery-compare"
            >
              ⇆
            </button>
          </>
        )}
      </div>
    </div>
  );
}
