/**
 * Builds the face test fixtures in test/fixtures/faces/ from freely licensed
 * images of Debian packages (see SOURCES.md there for each file's credit and
 * licence). The sources come from the colour-photo corpus cache, so run
 * `/usr/bin/python3 training/corpus/build.py` first (it downloads and
 * unpacks gcompris-qt-data, scratch and python3-skimage with apt-get
 * download + dpkg-deb -x; nothing is installed system-wide).
 *
 *   npx tsx scripts/faces/make-face-fixtures.ts
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type OverlayOptions } from 'sharp';

const root = fileURLToPath(new URL('../..', import.meta.url));
const corpus = path.join(root, 'training', 'data', 'cache', 'corpus');
const scratchMedia = path.join(corpus, 'x', 'scratch', 'usr', 'share', 'scratch', 'Media');
const out = path.join(root, 'test', 'fixtures', 'faces');

/** Photos re-encoded unchanged in content (the corpus stores them as JPEG q95 at their source size). */
const PHOTOS: Array<{ id: string; file: string }> = [
  { id: 'skimage-astronaut', file: 'astronaut.jpg' },
  { id: 'gcompris-explore-world-music-music-ireland', file: 'musicians-ireland.jpg' },
  { id: 'gcompris-explore-world-music-music-mexico', file: 'mariachi-mexico.jpg' },
  { id: 'gcompris-explore-world-music-music-africa', file: 'drums-no-faces.jpg' },
  { id: 'gcompris-explore-world-music-music-america', file: 'drumkit-no-faces.jpg' },
];

/** Scratch 1.4 photo cut-outs (Media/Costumes/People) placed on a Scratch background, back row first. */
const GROUP = {
  file: 'scratch-group.jpg',
  background: 'Backgrounds/Outdoors/boardwalk.jpg',
  width: 1440,
  height: 1080,
  people: [
    { sprite: 'anna-1.gif', x: 195, feet: 820, scale: 2.3 },
    { sprite: 'jay.gif', x: 430, feet: 800, scale: 2.3 },
    { sprite: 'marissa.gif', x: 700, feet: 810, scale: 2.3 },
    { sprite: 'nathan.gif', x: 960, feet: 800, scale: 2.3 },
    { sprite: 'paul1.gif', x: 1230, feet: 815, scale: 2.3 },
    { sprite: 'anjuli-1.gif', x: 330, feet: 1180, scale: 2.9 },
    { sprite: 'dan5.gif', x: 730, feet: 1170, scale: 2.9 },
    { sprite: 'sam.gif', x: 1110, feet: 1180, scale: 2.9 },
  ],
};

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

async function main(): Promise<void> {
  await fs.mkdir(out, { recursive: true });
  for (const photo of PHOTOS) {
    const source = path.join(corpus, 'images', `${photo.id}.jpg`);
    await sharp(source).jpeg({ quality: 90, mozjpeg: true }).toFile(path.join(out, photo.file));
    console.log(`${photo.file} <- ${photo.id} (corpus sha256 ${await sha256(source)})`);
  }

  const layers: OverlayOptions[] = [];
  for (const person of GROUP.people) {
    const file = path.join(scratchMedia, 'Costumes', 'People', person.sprite);
    const meta = await sharp(file).metadata();
    const trimmed = await sharp(file).trim({ threshold: 0 }).png().toBuffer({ resolveWithObject: true });
    const w = Math.round(trimmed.info.width * person.scale);
    const h = Math.round(trimmed.info.height * person.scale);
    let sprite = sharp(trimmed.data).resize(w, h, { kernel: 'cubic' });
    // Cut what falls below the frame (sharp composites must fit inside the base image).
    const top = person.feet - h;
    const left = Math.round(person.x - w / 2);
    const visibleH = Math.min(h, GROUP.height - top);
    if (visibleH < h) sprite = sharp(await sprite.png().toBuffer()).extract({ left: 0, top: 0, width: w, height: visibleH });
    layers.push({ input: await sprite.png().toBuffer(), left, top });
    console.log(`  ${person.sprite} ${meta.width}x${meta.height} -> ${w}x${h} at ${left},${top}`);
  }
  await sharp(path.join(scratchMedia, GROUP.background))
    .resize(GROUP.width, GROUP.height, { kernel: 'lanczos3' })
    .composite(layers)
    .jpeg({ quality: 90, mozjpeg: true })
    .toFile(path.join(out, GROUP.file));
  console.log(`${GROUP.file} <- scratch ${GROUP.background} + ${GROUP.people.map((p) => p.sprite).join(', ')}`);
}

await main();
