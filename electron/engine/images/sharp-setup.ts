import sharp, { type Sharp, type SharpOptions } from 'sharp';

/**
 * Process-wide sharp settings. libvips' operation cache keeps decoded
 * regions of recently used files; bounding it keeps the engine's memory
 * bounded however many tiles the viewer asks for.
 */
let configured = false;
export function configureSharp(): typeof sharp {
  if (!configured) {
    sharp.cache({ memory: 256, files: 32, items: 200 });
    configured = true;
  }
  return sharp;
}

/**
 * Input options for files the user opens. The pixel limit is enforced by
 * our own check (with a clear message) before decoding, so sharp's is off;
 * geospatial rasters may carry many bands. Decoding fails on any decoder
 * error (`failOn: 'error'`): with 'truncated', libtiff's read errors on
 * missing strips pass and the missing part comes out black.
 */
export function inputOptions(extra: SharpOptions = {}): SharpOptions {
  return { limitInputPixels: false, limitInputChannels: 64, failOn: 'error', ...extra };
}

export function openImageFile(file: string, extra: SharpOptions = {}): Sharp {
  return configureSharp()(file, inputOptions(extra));
}

export function bitDepthOf(depth: string): number {
  switch (depth) {
    case 'uchar':
    case 'char':
      return 8;
    case 'ushort':
    case 'short':
      return 16;
    case 'uint':
    case 'int':
    case 'float':
      return 32;
    default:
      return 64;
  }
}
