import type OpenSeadragon from 'openseadragon';
import { createContext, useContext } from 'react';

/** The OpenSeadragon viewer of the image on screen, for overlays drawn in image coordinates. */
export const ViewerContext = createContext<OpenSeadragon.Viewer | null>(null);

export function useOpenSeadragon(): OpenSeadragon.Viewer | null {
  return useContext(ViewerContext);
}
