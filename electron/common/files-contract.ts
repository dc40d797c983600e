/**
 * Files the browser transport needs beyond opening images: folders for the
 * export dialog (a web page has no native Save dialog), and exported files
 * handed to the browser as downloads. The desktop window uses its native
 * dialogs instead and is refused these calls (electron/main/ipc-handlers.ts).
 */
import { z } from 'zod';

const FilePath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte');
/** A bare file name: no folder part, nothing hidden. */
export const FileNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[\\/\0]/.test(n) && n !== '.' && n !== '..' && !n.startsWith('.'), 'a file name, without folders');
const DownloadId = z.string().regex(/^[a-f0-9-]{36}$/, 'a download id');

export const DownloadTargetSchema = z.object({
  /** Where the export call should write the file (a fresh folder of the engine's own). */
  path: z.string(),
  id: DownloadId,
  name: z.string(),
  /** Relative URL the browser fetches the file from once it is written (the loopback server streams it). */
  url: z.string(),
});
export type DownloadTarget = z.infer<typeof DownloadTargetSchema>;

const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });

export const filesApi = {
  /** Creates a folder (and missing parents) for an export; an existing folder is fine. */
  makeDirectory: method(z.object({ path: FilePath }).strict(), z.object({ path: z.string() })),
  /** A place to export a file to that the browser then downloads (see DownloadTarget.url). */
  prepareDownload: method(z.object({ name: FileNameSchema }).strict(), DownloadTargetSchema),
  /** The file behind a download URL, for the server that streams it; only files made through prepareDownload. */
  resolveDownload: method(z.object({ id: DownloadId, name: FileNameSchema }).strict(), z.object({ path: z.string(), bytes: z.number().int().nonnegative() })),
};
