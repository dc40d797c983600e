/**
 * The names of every API call, without their schemas. The sandboxed preload
 * imports only this list (it must stay tiny and free of zod); the contract in
 * `contract.ts` is type-checked to cover exactly these names.
 */
export const JSON_METHODS = [
  'engineInfo',
  'inspectImage',
  'openImage',
  'getImage',
  'closeImage',
  'listJobs',
  'cancelJob',
  'getSettings',
  'updateSettings',
  'listSamples',
  'listDirectory',
  'makeDirectory',
  'prepareDownload',
  'resolveDownload',
  'listModels',
  'installProvider',
  'importModel',
  'detectFaces',
  'getFaces',
  'exportFaces',
  'detect',
  'getDetections',
  'refilterDetections',
  'exportDetections',
  'listColorizers',
  'colorize',
  'colorizePreview',
  'getColorization',
  'exportColorization',
  'batchStatus',
] as const;

/** Calls whose request or response body is bytes rather than JSON. */
export const BINARY_METHODS = ['readTile', 'readThumbnail', 'uploadImage'] as const;

export type JsonMethod = (typeof JSON_METHODS)[number];
export type BinaryMethod = (typeof BINARY_METHODS)[number];
export type ApiMethod = JsonMethod | BinaryMethod;

/** Electron IPC channel of a method; one channel per call. */
export const ipcChannel = (method: ApiMethod): string => `iriscope:${method}`;
export const IPC_EVENT_CHANNEL = 'iriscope:event';
