import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Sample } from '../common/contract';
import { SampleSchema } from '../common/contract';

const SamplesFileSchema = z.object({
  samples: z.array(SampleSchema.omit({ path: true, name: true }).extend({ file: z.string() })),
});

/** The sample images shipped in `assets/samples/`, with their credits and licences. */
export async function listSamples(assetsDir: string): Promise<Sample[]> {
  const dir = path.join(assetsDir, 'samples');
  const parsed = SamplesFileSchema.parse(JSON.parse(await fs.readFile(path.join(dir, 'samples.json'), 'utf8')));
  const samples: Sample[] = [];
  for (const { file, ...rest } of parsed.samples) {
    const full = path.join(dir, file);
    // A sample removed from the package is skipped, not an error on the start screen.
    if (await fs.access(full).then(() => true, () => false)) samples.push({ ...rest, path: full, name: file });
  }
  return samples;
}
