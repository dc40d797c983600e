/**
 * Resource budgets: disk estimates grow with the image, and a task that
 * cannot fit is refused before any work with the numbers, never half-done.
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertDiskFits, colorizeBytes, diskSpace, formatBytes, pyramidBytes } from '../../electron/engine/budgets';

describe('budgets', () => {
  it('estimates a pyramid from pixels, at most three bands, and its compression', () => {
    expect(pyramidBytes(1000, 1000, 3, 'jpeg')).toBeCloseTo(1000 * 1000 * 3 * 0.2 * (4 / 3));
    expect(pyramidBytes(1000, 1000, 5, 'jpeg')).toBe(pyramidBytes(1000, 1000, 3, 'jpeg'));
    expect(pyramidBytes(1000, 1000, 1, 'deflate')).toBe(4 * pyramidBytes(1000, 1000, 1, 'jpeg'));
  });

  it('counts only the samples rendered at once as raw renders, and every sample as a pyramid', () => {
    const one = colorizeBytes(4000, 3000, 1, 1, 'jpeg');
    const eight = colorizeBytes(4000, 3000, 8, 1, 'jpeg');
    expect(eight - one).toBeCloseTo(7 * pyramidBytes(4000, 3000, 3, 'jpeg'));
    // The 46,000² photo of the issue: one render at a time stays ~6 GB, not 8 × 6 GB.
    expect(colorizeBytes(46_000, 46_000, 8, 1, 'jpeg')).toBeLessThan(2 * 46_000 * 46_000 * 3 + 8 * pyramidBytes(46_000, 46_000, 3, 'jpeg'));
  });

  it('finds the disk of a folder that does not exist yet through its nearest ancestor', async () => {
    const space = await diskSpace(path.join(os.tmpdir(), 'iriscope-not-there', 'deeper'));
    expect(space).not.toBeNull();
    expect(space!.total).toBeGreaterThan(0);
    expect(space!.free).toBeLessThanOrEqual(space!.total);
  });

  it('lets a task through that fits, and refuses one that cannot with IMAGE_TOO_LARGE_FOR_TASK and the numbers', async () => {
    const dir = os.tmpdir();
    const task = { what: 'Colorizing', image: 'huge.png', width: 46_000, height: 46_000 };
    await expect(assertDiskFits(dir, 1024, task)).resolves.toBeUndefined();
    const { free } = (await diskSpace(dir))!;
    const refused = assertDiskFits(dir, free * 2, task);
    await expect(refused).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE_FOR_TASK' });
    await expect(refused).rejects.toThrow(/"huge\.png" \(46,000 × 46,000 px\) needs about .* GB of disk space; .* are free/);
  });

  it('writes sizes people read', () => {
    expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.3 GB');
    expect(formatBytes(300 * 1024 ** 2)).toBe('300 MB');
    expect(formatBytes(2048)).toBe('2 KB');
  });
});
