// MatMul / _FusedMatMul (dense layers): Gemm for the 2-D case.
import { attrBool, attrStringList } from '../tfjs-model.js';
import { emitActivation } from './activation.js';
import type { Translator } from './types.js';

function makeMatMul(fused: boolean): Translator {
  return (node, [a, b, ...args], ctx) => {
    const ta = attrBool(node, 'transpose_a');
    const tb = attrBool(node, 'transpose_b');
    if (a.shape.length !== 2 || b.shape.length !== 2) ctx.fail(node, `only 2-D matrix products are supported, got [${a.shape}] x [${b.shape}]`);
    const m = ta ? a.shape[1] : a.shape[0];
    const n = tb ? b.shape[0] : b.shape[1];
    const inputs = [ctx.asTF(a), ctx.asTF(b)];
    let acts: string[] = [];
    if (fused) {
      const ops = attrStringList(node, 'fused_ops');
      if (ops[0] !== 'BiasAdd') ctx.fail(node, `fused_ops [${ops}] must start with BiasAdd`);
      inputs.push(ctx.asTF(args[0]));
      acts = ops.slice(1);
    }
    let y = ctx.op('Gemm', inputs, { transA: { i: ta ? 1 : 0 }, transB: { i: tb ? 1 : 0 } }, node.name);
    for (const act of acts) y = emitActivation(ctx, node, act, y, act === 'Prelu' ? ctx.asTF(args[1]) : undefined);
    return ctx.tensor(y, [m, n]);
  };
}

export const matMul = makeMatMul(false);
export const fusedMatMul = makeMatMul(true);
