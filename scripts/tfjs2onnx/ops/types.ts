import type { TfNode } from '../tfjs-model.js';
import type { ConversionContext, Value } from '../context.js';

/** Translates one TF node; returns its output value(s) in output-index order. */
export type Translator = (node: TfNode, inputs: Value[], ctx: ConversionContext) => Value | Value[];
