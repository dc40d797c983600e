import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ApiMethod } from '../common/api-methods';
import type { Reply } from '../common/contract';
import { contentSecurityPolicy } from '../common/csp';
import { rendererMimeType } from '../common/mime';
import { parseInput } from '../common/validate';
import type { PathGuard } from './path-guard';

export const APP_SCHEME = 'iriscope';
export const APP_ORIGIN = `${APP_SCHEME}://app`;


/**
 * Answers iriscope://app/... (checklist #18: a custom protocol instead of
 * file://): the renderer build, viewer tiles and thumbnails. Paths cannot
 * leave the renderer folder; tiles and thumbnails go through the contract's
 * validation and the path guard like IPC calls do.
 */
export function createProtocolHandler(deps: {
  rendererDir: string;
  guard: PathGuard;
  call(method: ApiMethod, input: unknown): Promise<Reply<unknown>>;
}): (request: Request) => Promise<Response> {
  const csp = contentSecurityPolicy({ img: [`${APP_SCHEME}:`] });
  return async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return new Response('Not found', { status: 404 });
    try {
      const tile = /^\/tile\/([A-Za-z0-9_-]+)\/(\d+)\/(\d+)\/(\d+)$/.exec(url.pathname);
      if (tile) {
        const input = parseInput('readTile', { imageId: tile[1], level: Number(tile[2]), x: Number(tile[3]), y: Number(tile[4]) });
        return imageResponse(await deps.call('readTile', input));
      }
      if (url.pathname === '/thumbnail') {
        const input = parseInput('readThumbnail', { path: url.searchParams.get('path') ?? '', size: Number(url.searchParams.get('size') ?? 256) }) as { path: string };
        deps.guard.check(input.path);
        return imageResponse(await deps.call('readThumbnail', input));
      }
      const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
      const file = path.resolve(deps.rendererDir, relative);
      const inside = path.relative(deps.rendererDir, file);
      if (inside.startsWith('..') || path.isAbsolute(inside)) return new Response('Forbidden', { status: 403 });
      const body = await fs.readFile(file);
      return new Response(body, {
        headers: { 'Content-Type': rendererMimeType(file), 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff' },
      });
    } catch (error) {
      return new Response(String((error as Error)?.message ?? error), { status: 404 });
    }
  };
}

function imageResponse(reply: Reply<unknown>): Response {
  if (!reply.ok) return new Response(reply.error.message, { status: 404 });
  return new Response(reply.result as Uint8Array as unknown as ConstructorParameters<typeof Response>[0], { headers: { 'Content-Type': 'image/jpeg', 'Cache-Control': 'private, max-age=3600' } });
}
