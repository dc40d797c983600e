/**
 * The layering rule (after VS Code's): lower layers never import upper ones,
 * the engine never touches Electron, Electron main never runs the engine
 * itself, and the renderer sees only the shared contract.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures';

type Layer = 'common' | 'engine' | 'server' | 'cli' | 'host' | 'main' | 'preload' | 'renderer';

const LAYER_DIRS: Record<Layer, string> = {
  common: 'electron/common',
  engine: 'electron/engine',
  server: 'electron/server',
  cli: 'electron/cli',
  host: 'electron/host',
  main: 'electron/main',
  preload: 'electron/preload',
  renderer: 'renderer/src',
};

/** Which layers each layer may import from (itself included). */
const MAY_IMPORT: Record<Layer, Layer[]> = {
  common: ['common'],
  engine: ['common', 'engine'],
  server: ['common', 'server'],
  cli: ['common', 'engine', 'server', 'cli'],
  host: ['common', 'engine', 'host'],
  main: ['common', 'main', 'host'],
  preload: ['common', 'preload'],
  renderer: ['common', 'renderer'],
};

/** npm packages and Node built-ins each layer may use. */
const PACKAGES: Record<Layer, (name: string) => boolean> = {
  common: (n) => n === 'zod',
  engine: (n) => n !== 'electron' && !['react', 'react-dom', 'zustand', 'openseadragon'].includes(n),
  server: (n) => n !== 'electron' && !n.startsWith('react'),
  cli: (n) => n !== 'electron' && !n.startsWith('react'),
  host: (n) => n.startsWith('node:'),
  main: (n) => n === 'electron' || n.startsWith('node:'),
  preload: (n) => n === 'electron',
  renderer: (n) => !n.startsWith('node:') && n !== 'electron' && !['sharp', 'onnxruntime-node', 'geotiff', 'ws'].includes(n),
};

function filesOf(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesOf(full));
    else if (/\.(ts|tsx)$/.test(name)) out.push(full);
  }
  return out;
}

function layerOf(file: string): Layer | null {
  const relative = path.relative(REPO_ROOT, file).split(path.sep).join('/');
  return (Object.entries(LAYER_DIRS).find(([, dir]) => relative.startsWith(`${dir}/`))?.[0] as Layer) ?? null;
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) specifiers.push(match[1] ?? match[2]);
  return specifiers;
}

const violations: string[] = [];
for (const [layer, dir] of Object.entries(LAYER_DIRS) as Array<[Layer, string]>) {
  for (const file of filesOf(path.join(REPO_ROOT, dir))) {
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const where = `${path.relative(REPO_ROOT, file)} imports "${specifier}"`;
      if (specifier.startsWith('.')) {
        const target = layerOf(path.resolve(path.dirname(file), specifier));
        if (!target) {
          if (!/\.css$/.test(specifier)) violations.push(`${where}: outside every layer`);
        } else if (!MAY_IMPORT[layer].includes(target)) {
          violations.push(`${where}: ${layer} may not import ${target}`);
        }
      } else {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
        if (!PACKAGES[layer](name)) violations.push(`${where}: ${layer} may not use the package ${name}`);
      }
    }
  }
}

describe('architecture', () => {
  it('keeps every import inside the layering rules', () => {
    expect(violations).toEqual([]);
  });

  it('checks a real number of files (the scan is not empty)', () => {
    const counted = Object.values(LAYER_DIRS).reduce((n, dir) => n + filesOf(path.join(REPO_ROOT, dir)).length, 0);
    expect(counted).toBeGreaterThan(40);
  });
});
