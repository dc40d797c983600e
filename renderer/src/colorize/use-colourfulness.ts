import { useEffect, useState } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import { api } from '../api/client';

/**
 * Whether a photo already has colours: the spread of its thumbnail's chroma
 * (R−G, G−B) around their mean. A toned print (sepia, platinum) has chroma,
 * but all of one hue, so its spread is small; a colour photo's is not. A
 * black-and-white scan saved as RGB has three bands, so the band count alone
 * cannot tell. Measured on the samples and test photos: toned prints 5–10,
 * colour photos 22–48. Null while unknown.
 */
export function useHasColour(image: ImageInfo): boolean | null {
  const [colour, setColour] = useState<boolean | null>(image.bands < 3 ? false : null);
  useEffect(() => {
    if (image.bands < 3) return setColour(false);
    let alive = true;
    const img = new Image();
    img.onload = () => {
      if (!alive) return;
      const canvas = document.createElement('canvas');
      canvas.width = 48;
      canvas.height = 48;
      const g = canvas.getContext('2d', { willReadFrequently: true });
      if (!g) return;
      g.drawImage(img, 0, 0, 48, 48);
      const { data } = g.getImageData(0, 0, 48, 48);
      const n = data.length / 4;
      let a = 0, b = 0, aa = 0, bb = 0;
      for (let i = 0; i < data.length; i += 4) {
        const x = data[i] - data[i + 1];
        const y = data[i + 1] - data[i + 2];
        a += x;
        b += y;
        aa += x * x;
        bb += y * y;
      }
      setColour(Math.sqrt(aa / n - (a / n) ** 2 + bb / n - (b / n) ** 2) > 16);
    };
    img.src = api.thumbnailUrl(image.path, 96);
    return () => {
      alive = false;
    };
  }, [image.path, image.bands]);
  return colour;
}
