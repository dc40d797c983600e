/**
 * `iriscope` command line: the same engine as the app, for scripts and
 * batch work. Human-readable output by default; `--json` prints one JSON
 * record per line on stdout (progress and errors go to stderr). Relative
 * paths are resolved against the folder the command runs in: the engine takes
 * absolute paths only.
 */
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { toErrorInfo, type ErrorInfo } from '../common/errors';
import { Engine } from '../engine/engine';
import { installCudaProvider } from '../engine/runtime/provider-install';
import { printEngineInfo, printImageMeta } from './format';
import { colorizeCommand } from './colorize-command';
import { facesCommand } from './faces-command';
import { detectCommand } from './detect-command';
import { serveCommand } from './serve';
import { batchCommand } from './batch-command';

const program = new Command();
let verbose = false;

program
  .name('iriscope')
  .description('Colorize photos, detect small objects in huge aerial images, find faces; export annotated results.')
  .option('-v, --verbose', 'print technical details of errors')
  .hook('preAction', (cmd) => {
    verbose = Boolean(cmd.opts().verbose);
  })
  .exitOverride();

program
  .command('info')
  .description('versions, execution providers tried and chosen (with reasons), installed models')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const engine = await Engine.create();
    try {
      const info = await engine.engineInfo();
      if (options.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else printEngineInfo(info);
      if (info.models.some((m) => !m.valid)) process.exitCode = 1;
    } finally {
      await engine.dispose();
    }
  });

program
  .command('inspect')
  .description('size, bands, bit depth, ICC, EXIF orientation and georeferencing of image files')
  .argument('<files...>', 'image files')
  .option('--json', 'print one JSON record per file')
  .action(async (files: string[], options: { json?: boolean }) => {
    const engine = await Engine.create();
    try {
      for (const file of files) {
        try {
          const meta = await engine.inspectImage({ path: path.resolve(file) });
          if (options.json) process.stdout.write(`${JSON.stringify({ file, ok: true, image: meta })}\n`);
          else printImageMeta(meta);
        } catch (error) {
          const info = toErrorInfo(error);
          if (options.json) process.stdout.write(`${JSON.stringify({ file, ok: false, error: info })}\n`);
          else printError(info, file);
          process.exitCode = 1;
        }
      }
    } finally {
      await engine.dispose();
    }
  });

program
  .command('import-model')
  .description('validate a model folder (manifest.json + ONNX files) and install it for this user')
  .argument('<folder>', 'folder holding manifest.json')
  .option('--json', 'print JSON')
  .action(async (folder: string, options: { json?: boolean }) => {
    const engine = await Engine.create();
    try {
      const model = await engine.importModel({ path: path.resolve(folder) });
      if (options.json) process.stdout.write(`${JSON.stringify(model)}\n`);
      else process.stdout.write(`Imported "${model.name}" (${model.id}) into ${model.dir}\n`);
    } finally {
      await engine.dispose();
    }
  });

program
  .command('setup-cuda')
  .description("opt-in GPU setup: download onnxruntime's CUDA 12 provider (Linux x64, needs the network; CUDA 12 and cuDNN 9 must be installed)")
  .action(async () => {
    process.stderr.write("Downloading onnxruntime's CUDA provider from NuGet…\n");
    await installCudaProvider({ onOutput: (line) => process.stderr.write(`  ${line}\n`) });
    const engine = await Engine.create();
    try {
      const info = await engine.engineInfo();
      printEngineInfo(info);
    } finally {
      await engine.dispose();
    }
  });

serveCommand(program);
colorizeCommand(program, (info, file) => printError(info, file));
facesCommand(program, (info, file) => printError(info, file));
detectCommand(program, (info, file) => printError(info, file));
batchCommand(program);

function printError(info: ErrorInfo, file?: string): void {
  process.stderr.write(`error${file ? ` (${file})` : ''}: ${info.message}\n`);
  if (info.hint) process.stderr.write(`  ${info.hint}\n`);
  if (info.detail && verbose) process.stderr.write(`  detail: ${info.detail}\n`);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    printError(toErrorInfo(error));
    process.exitCode = 1;
  }
}
