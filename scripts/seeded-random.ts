/**
 * mulberry32: a small seeded generator, the same stream on every platform.
 * For tools (bench scenes, converter tests, training crops) whose output must
 * repeat from a seed; the engine's sampling has its own generator
 * (electron/engine/pipelines/colorize/rng.ts).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
