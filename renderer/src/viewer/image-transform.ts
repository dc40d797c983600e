import OpenSeadragon from 'openseadragon';

/** Image → screen mapping of the viewer's current (animated) view, for overlays drawn over the image. */
export interface ImageTransform {
  /** Viewer-element pixels of image pixel (0, 0), and screen pixels per image pixel. */
  ox: number;
  oy: number;
  s: number;
  width: number;
  height: number;
}

export function currentTransform(v: OpenSeadragon.Viewer): ImageTransform | null {
  const item = v.world.getItemAt(0);
  if (!item) return null;
  const origin = item.imageToViewerElementCoordinates(new OpenSeadragon.Point(0, 0));
  const far = item.imageToViewerElementCoordinates(new OpenSeadragon.Point(1000, 0));
  const size = v.viewport.getContainerSize();
  return { ox: origin.x, oy: origin.y, s: (far.x - origin.x) / 1000, width: size.x, height: size.y };
}
