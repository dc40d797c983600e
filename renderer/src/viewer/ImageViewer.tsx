import OpenSeadragon from 'openseadragon';
import { forwardRef, useEffect, useImperativeHandle, useRef, useState, type ReactNode } from 'react';
import type { ImageInfo, JobInfo } from '../../../electron/common/contract';
import { api } from '../api/client';
import { useApp } from '../state/store';
import { pyramidTileSource } from './tile-source';
import { ViewerContext } from './viewer-context';

export interface ViewerHandle {
  zoomBy(factor: number): void;
  fit(): void;
  actualSize(): void;
  /** Pans and zooms so this rectangle of image pixels fills most of the view. */
  showRegion(region: { x: number; y: number; width: number; height: number }): void;
}

/**
 * The zoomable image: OpenSeadragon drawing tiles of the engine's pyramid.
 * Only the tiles in view are fetched, so a 20,000 px image never sits whole
 * in the page. While the pyramid is being built it shows the job's progress.
 */
export const ImageViewer = forwardRef<ViewerHandle, { image: ImageInfo; job: JobInfo | null; children?: ReactNode }>(function ImageViewer({ image, job, children }, ref) {
  const element = useRef<HTMLDivElement>(null);
  const viewer = useRef<OpenSeadragon.Viewer | null>(null);
  const setView = useApp((s) => s.setView);
  const [tiles, setTiles] = useState({ loaded: 0, failed: 0 });
  // Overlays (children) reach the viewer through context once it exists.
  const [osd, setOsd] = useState<OpenSeadragon.Viewer | null>(null);

  useImperativeHandle(ref, () => ({
    zoomBy: (factor) => viewer.current?.viewport.zoomBy(factor).applyConstraints(),
    fit: () => viewer.current?.viewport.goHome(),
    actualSize: () => {
      const v = viewer.current;
      const item = v?.world.getItemAt(0);
      // The photo's own mapping: the viewport's is approximate once a second image (before/after) is in the world.
      if (v && item) v.viewport.zoomTo(item.imageToViewportZoom(1));
    },
    showRegion: ({ x, y, width, height }) => {
      const v = viewer.current;
      const item = v?.world.getItemAt(0);
      if (!v || !item) return;
      v.viewport.fitBoundsWithConstraints(item.imageToViewportRectangle(x, y, width, height));
    },
  }));

  useEffect(() => {
    const v = OpenSeadragon({
      element: element.current!,
      showNavigationControl: false,
      showNavigator: true,
      navigatorPosition: 'BOTTOM_RIGHT',
      navigatorSizeRatio: 0.16,
      animationTime: 0.35,
      springStiffness: 9,
      zoomPerScroll: 1.3,
      maxZoomPixelRatio: 8,
      minZoomImageRatio: 0.5,
      visibilityRatio: 0.3,
      imageLoaderLimit: 8,
      maxImageCacheCount: 400,
      preserveImageSizeOnResize: true,
      drawer: 'canvas',
      gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true, flickEnabled: true },
      keyboardNavEnabled: true,
    } as OpenSeadragon.Options);
    viewer.current = v;
    setOsd(v);

    // The zoom readout follows every drawn frame (at most one update per frame, and only when it
    // changed): 'zoom' fires as an animated zoom starts, and views that add images over the photo
    // (before/after) or drive it from elsewhere (the gallery) never left it stale since.
    let frame = 0;
    let shown = 0;
    const reportZoom = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const item = v.world.getItemAt(0);
        if (!item) return;
        const zoom = item.viewportToImageZoom(v.viewport.getZoom(true));
        if (Math.abs(zoom - shown) > shown * 1e-3) setView({ zoom: (shown = zoom) });
      });
    };
    v.addHandler('update-viewport', reportZoom);
    v.addHandler('animation-finish', reportZoom);
    v.addHandler('open', reportZoom);
    // Counters exposed as data attributes: end-to-end tests watch tiles arrive.
    v.addHandler('tile-loaded', () => setTiles((t) => ({ ...t, loaded: t.loaded + 1 })));
    v.addHandler('tile-load-failed', () => setTiles((t) => ({ ...t, failed: t.failed + 1 })));

    const tracker = new OpenSeadragon.MouseTracker({
      element: v.canvas,
      moveHandler: (event) => {
        const item = v.world.getItemAt(0);
        if (!item) return;
        const point = item.viewerElementToImageCoordinates((event as unknown as { position: OpenSeadragon.Point }).position);
        setView({ cursor: { x: point.x, y: point.y } });
      },
      leaveHandler: () => setView({ cursor: null }),
    });
    return () => {
      cancelAnimationFrame(frame);
      tracker.destroy();
      v.destroy();
      viewer.current = null;
      setOsd(null);
    };
  }, [setView]);

  const ready = image.pyramid.state === 'ready';
  useEffect(() => {
    const v = viewer.current;
    if (!v) return;
    if (!ready) {
      v.close();
      return;
    }
    v.open(pyramidTileSource(image, (level, x, y) => api.tileUrl(image.id, level, x, y)) as unknown as OpenSeadragon.TileSourceSpecifier);
    // Only the image identity and readiness matter; other updates keep the view.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [image.id, ready]);

  return (
    <div className="viewer" data-testid="viewer" data-image-id={image.id} data-state={image.pyramid.state} data-tiles-loaded={tiles.loaded} data-tiles-failed={tiles.failed}>
      <div ref={element} className="viewer-canvas" />
      <ViewerContext.Provider value={osd}>{ready && children}</ViewerContext.Provider>
      {image.pyramid.state === 'building' && <PreparingOverlay image={image} job={job} />}
      {(image.pyramid.state === 'failed' || image.pyramid.state === 'cancelled') && (
        <div className="viewer-overlay" role="alert">
          <div className="overlay-card">
            <div className="overlay-title">{image.pyramid.state === 'cancelled' ? 'Preparation cancelled' : 'This image could not be opened'}</div>
            <p>{image.pyramid.error?.message}</p>
            {image.pyramid.error?.hint && <p className="muted">{image.pyramid.error.hint}</p>}
            <div className="overlay-row">
              <span />
              <button type="button" className="button" onClick={() => void reopen(image)}>
                Try again
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
});

/** Closes the failed or cancelled image and opens its file again. */
async function reopen(image: ImageInfo): Promise<void> {
  const { closeImage, openPaths } = useApp.getState();
  await closeImage(image.id);
  await openPaths([image.path]);
}

function PreparingOverlay({ image, job }: { image: ImageInfo; job: JobInfo | null }) {
  const cancelJob = useApp((s) => s.cancelJob);
  const fraction = job?.progress ?? null;
  return (
    <div className="viewer-overlay" data-testid="preparing">
      <div className="overlay-card">
        <div className="overlay-title">Preparing {image.name}</div>
        <p className="muted">
          {image.width.toLocaleString()} × {image.height.toLocaleString()} px — building a zoomable pyramid once; next time it opens instantly.
        </p>
        <div className={`progress ${fraction === null ? 'indeterminate' : ''}`}>
          <div className="progress-bar" style={{ width: `${Math.round((fraction ?? 0.3) * 100)}%` }} />
        </div>
        <div className="overlay-row">
          <span className="muted">{job?.message ?? 'Waiting…'}</span>
          {job && (
            <button type="button" className="button subtle" onClick={() => void cancelJob(job.id, true)}>
              Cancel
            </button>
          )}
        </div>
      </div>
    </div>
  );
}
