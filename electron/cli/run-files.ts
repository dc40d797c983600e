/**
 * The loop `iriscope colorize|detect|faces` share: inputs expanded and
 * resolved, the output folder created and proved writable before any work,
 * every input registered with the output guard (never written over, even
 * with --overwrite), one task per file (engine/tasks), a JSON record or a
 * readable summary per file, a bad file reported while the batch goes on,
 * Ctrl-C/SIGTERM handled (signals.ts), and the exit code: 130/143 when
 * interrupted, 1 when a file failed, else 0.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { IriscopeError, toErrorInfo, type ErrorInfo } from '../common/errors';
import { Engine } from '../engine/engine';
import { prepareOutputFolder } from '../engine/fs/output-guard';
import type { TaskContext, TaskOutput } from '../engine/tasks/task';
import { expandInputs, outputBase } from './cli-args';
import { withInterrupts } from './signals';

export interface RunFilesOptions<R> {
  command: string;
  inputs: string[];
  /** The shared flags of fileCommand(). */
  flags: { out?: string; overwrite?: boolean; json?: boolean };
  report: (error: ErrorInfo, file?: string) => void;
  /** Checks that need the engine but no file (a model id), before the first file. */
  prepare?: (engine: Engine) => void;
  task: (engine: Engine, file: string, out: TaskOutput | null, ctx: TaskContext) => Promise<R>;
  /** Human-readable lines for a record (without --json). */
  print: (record: R) => void;
  /** Errors inside a record that still count as a failed file (detect's export errors). */
  errorsOf?: (record: R) => ErrorInfo[];
  /** The last line on stderr: what was done. */
  summary: (records: R[], files: number, failed: number, seconds: number) => string;
}

export async function runFiles<R>(options: RunFilesOptions<R>): Promise<void> {
  const { command, report } = options;
  const items = await expandInputs(options.inputs);
  const { flags } = options;
  const out = flags.out ? await prepareOutputFolder(flags.out) : null;
  const engine = await Engine.create({ rememberRecent: false });
  const records: R[] = [];
  let failed = 0;
  const started = Date.now();
  await withInterrupts(command, async ({ signal }) => {
    try {
      await engine.outputs.addInputs(items.map((item) => item.file));
      options.prepare?.(engine);
      const used = new Set<string>();
      for (const [index, item] of items.entries()) {
        if (signal.aborted) break;
        const tag = `[${index + 1}/${items.length}] ${path.basename(item.file)}`;
        const log = (message: string) => process.stderr.write(`${tag}: ${message}\n`);
        try {
          if (item.error) throw new IriscopeError(item.error);
          log('opening');
          const output = out ? { base: outputBase(out, item.file, used), existing: flags.overwrite ? 'replace' as const : 'refuse' as const } : null;
          const record = await options.task(engine, item.file, output, { signal, log });
          records.push(record);
          const errors = options.errorsOf?.(record) ?? [];
          for (const error of errors) report(withCliHint(error), item.file);
          if (errors.length) failed++;
          if (flags.json) process.stdout.write(`${JSON.stringify(record)}\n`);
          else options.print(record);
        } catch (error) {
          const info = withCliHint(toErrorInfo(error));
          if (signal.aborted && info.code === 'CANCELLED') break;
          failed++;
          report(info, item.file);
          if (flags.json) process.stdout.write(`${JSON.stringify({ file: item.file, error: info })}\n`);
        }
      }
    } finally {
      await engine.dispose();
    }
    process.stderr.write(`${options.summary(records, items.length, failed, (Date.now() - started) / 1000)}\n`);
    if (failed) process.exitCode = 1;
  });
}

/** The engine's OUTPUT_EXISTS hint, in command-line words. */
function withCliHint(info: ErrorInfo): ErrorInfo {
  return info.code === 'OUTPUT_EXISTS' ? { ...info, hint: 'Use --overwrite to replace an earlier result, or another --out folder (an input is never replaced).' } : info;
}

/** The command line every file command shares: inputs, --out (what it writes there), --overwrite, --json. */
export function fileCommand(program: Command, name: string, description: string, out: { help: string; required?: boolean }): Command {
  const command = program.command(name).description(description).argument('<inputs...>', 'image files or folders (the images directly inside)');
  if (out.required) command.requiredOption('-o, --out <dir>', out.help);
  else command.option('-o, --out <dir>', out.help);
  return command
    .option('--overwrite', 'replace results an earlier run left in --out (inputs are never replaced)')
    .option('--json', 'print one JSON record per image on stdout');
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
