import type { IriscopeApi, Reply } from '../common/contract';
import { toErrorInfo } from '../common/errors';
import { isJsonMethod } from '../common/validate';
import type { HostRequest } from './host-protocol';

/**
 * Runs one request against the engine and wraps the outcome in a Reply.
 * Kept apart from the utilityProcess entry so it is tested in plain Node.
 */
export async function dispatch(api: IriscopeApi, request: HostRequest): Promise<Reply<unknown>> {
  try {
    let result: unknown;
    if (request.method === 'readTile') result = await api.readTile(request.input as Parameters<IriscopeApi['readTile']>[0]);
    else if (request.method === 'readThumbnail') result = await api.readThumbnail(request.input as Parameters<IriscopeApi['readThumbnail']>[0]);
    else if (request.method === 'uploadImage') result = await api.uploadImage(request.input as { name: string }, request.bytes ?? new Uint8Array());
    else if (isJsonMethod(request.method)) result = await (api[request.method] as (input: unknown) => Promise<unknown>).call(api, request.input);
    else throw new Error(`unknown method ${String(request.method)}`);
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}
