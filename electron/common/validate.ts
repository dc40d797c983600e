import { z } from 'zod';
import { api, binaryApi, type ApiInput } from './contract';
import type { BinaryMethod, JsonMethod } from './api-methods';
import { IriscopeError } from './errors';

/** Validates a call's input at a trust boundary; bad input becomes BAD_REQUEST. */
export function parseInput<M extends JsonMethod>(method: M, raw: unknown): ApiInput<M>;
export function parseInput(method: BinaryMethod, raw: unknown): unknown;
export function parseInput(method: JsonMethod | BinaryMethod, raw: unknown): unknown {
  const schema = (method in api ? api[method as JsonMethod] : binaryApi[method as BinaryMethod]).input;
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new IriscopeError({
      code: 'BAD_REQUEST',
      message: `Invalid request for ${method}.`,
      detail: z.prettifyError(parsed.error),
    });
  }
  return parsed.data;
}

export function isJsonMethod(name: string): name is JsonMethod {
  return Object.prototype.hasOwnProperty.call(api, name);
}
