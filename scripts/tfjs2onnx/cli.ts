// Usage: npx tsx scripts/tfjs2onnx/cli.ts <model.json> <out.onnx> [--nhwc] [--dynamic-batch]
import { convertFile, ConversionError } from './convert.js';

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const [input, output] = args.filter((a) => !a.startsWith('--'));
if (!input || !output || flags.has('--help')) {
  console.error('usage: tsx scripts/tfjs2onnx/cli.ts <model.json> <out.onnx> [--nhwc] [--dynamic-batch]');
  console.error('  --nhwc           keep the ONNX image input NHWC like TF (default: NCHW)');
  console.error('  --dynamic-batch  make dim 0 of the input symbolic even if the TF signature fixes it');
  process.exit(2);
}
try {
  const r = convertFile(input, output, { inputLayout: flags.has('--nhwc') ? 'nhwc' : 'nchw', dynamicBatch: flags.has('--dynamic-batch') });
  const fmt = (io: { name: string; shape: (number | string)[] }) => `${io.name} [${io.shape.join(', ')}]`;
  console.log(`wrote ${output} (${r.bytes.byteLength} bytes)`);
  console.log(`  inputs:  ${r.inputs.map(fmt).join('; ')}`);
  console.log(`  outputs: ${r.outputs.map(fmt).join('; ')}`);
} catch (e) {
  if (e instanceof ConversionError) {
    console.error(`conversion failed: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
