/**
 * Face exports: an annotated copy of the photo (boxes, keypoints, labels;
 * EXIF and ICC kept), a JSON record or a CSV table. Every file is written
 * atomically through the output guard: never over an input or a file it did not write.
 */
import { promises as fs } from 'node:fs';
import sharp, { type OverlayOptions } from 'sharp';
import { FACE_KEYPOINT_NAMES, type Face, type FaceExportFormat, type FaceResult } from '../../../common/faces-contract';
import type { ExistingOutput, OutputGuard } from '../../fs/output-guard';
import { imageError } from '../../images/image-errors';
import { openImageFile } from '../../images/sharp-setup';

/** One image's faces as the CLI prints them and the JSON export stores them. */
export function faceRecord(file: string, result: Pick<FaceResult, 'width' | 'height' | 'threshold' | 'models'>, faces: Face[]) {
  return {
    file,
    width: result.width,
    height: result.height,
    threshold: result.threshold,
    models: result.models,
    faces: faces.map(({ thumbnail: _thumbnail, ...face }) => ({
      id: face.id,
      box: face.box,
      score: face.score,
      age: face.age,
      ...(face.ageRange ? { ageRange: face.ageRange } : {}),
      gender: face.gender,
      emotion: face.emotion,
      roll: face.roll,
      keypoints: Object.fromEntries(FACE_KEYPOINT_NAMES.map((name, i) => [name, face.keypoints[i]])),
    })),
  };
}

export function facesToCsv(faces: Face[]): string {
  const emotions = faces[0] ? Object.keys(faces[0].emotion.all) : ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
  const header = ['face', 'x', 'y', 'width', 'height', 'score', 'age', 'gender', 'gender_p', 'emotion', 'emotion_p', ...emotions.map((e) => `p_${e}`), 'roll_deg',
    ...FACE_KEYPOINT_NAMES.flatMap((k) => [`${snake(k)}_x`, `${snake(k)}_y`])];
  const rows = faces.map((f) => [f.id, ...f.box, f.score, f.age, f.gender.label, f.gender.p, f.emotion.label, f.emotion.p, ...emotions.map((e) => f.emotion.all[e] ?? ''), f.roll, ...f.keypoints.flat()]);
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function csvField(value: unknown): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A short label for a face: number, age, gender with probability, expression. */
export function faceLabel(face: Pick<Face, 'id' | 'age' | 'gender' | 'emotion'>): string {
  return `${face.id} · ${Math.round(face.age)} y · ${face.gender.label === 'female' ? 'F' : face.gender.label === 'male' ? 'M' : face.gender.label} ${Math.round(face.gender.p * 100)}% · ${face.emotion.label}`;
}

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Rect = { x: number; y: number; w: number; h: number };
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Where each face's label goes: above its box, else below it, else stacked
 * further up, the first spot inside the image that covers no label placed
 * before (faces in a row would otherwise write over each other).
 */
export function placeLabels(boxes: Rect[], sizes: Array<{ w: number; h: number }>, width: number, height: number): Rect[] {
  const placed: Rect[] = [];
  return boxes.map((box, i) => {
    const { w, h } = sizes[i];
    const x = Math.max(0, Math.min(box.x, width - w));
    const candidates = [box.y - h, box.y + box.h, ...Array.from({ length: 6 }, (_, k) => box.y - h * (k + 2)), box.y];
    const inside = candidates.filter((y) => y >= 0 && y + h <= height);
    const spot = inside.map((y) => ({ x, y, w, h })).find((r) => !placed.some((p) => overlaps(p, r))) ?? { x, y: Math.max(0, Math.min(box.y - h, height - h)), w, h };
    placed.push(spot);
    return spot;
  });
}

/**
 * Small SVGs placed over the image: one per face (box and keypoints), one
 * per label (laid out by placeLabels); none exceeds a face's
 * neighbourhood, so a 20,000 px photo costs no full-size overlay.
 */
export function faceOverlays(faces: Face[], width: number, height: number): OverlayOptions[] {
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 600));
  const font = Math.max(11, Math.round(Math.max(width, height) / 70));
  const overlays: OverlayOptions[] = [];
  for (const face of faces) {
    const [x, y, w, h] = face.box;
    // Area the overlay covers, clipped to the image.
    const left = Math.max(0, Math.floor(x - 2 * stroke));
    const top = Math.max(0, Math.floor(y - 2 * stroke));
    const right = Math.min(width, Math.ceil(x + w + 2 * stroke));
    const bottom = Math.min(height, Math.ceil(y + h + 2 * stroke));
    if (right - left < 1 || bottom - top < 1) continue;
    const dots = face.keypoints.slice(0, 4).map(([kx, ky]) => `<circle cx="${kx - left}" cy="${ky - top}" r="${stroke * 1.2}" fill="#ffd166" stroke="#111" stroke-width="${stroke / 2}"/>`).join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${right - left}" height="${bottom - top}">`
      + `<rect x="${x - left}" y="${y - top}" width="${w}" height="${h}" fill="none" stroke="#111" stroke-opacity="0.6" stroke-width="${stroke * 2}"/>`
      + `<rect x="${x - left}" y="${y - top}" width="${w}" height="${h}" fill="none" stroke="#ff8a65" stroke-width="${stroke}"/>`
      + dots
      + '</svg>';
    overlays.push({ input: Buffer.from(svg), left, top });
  }
  // Labels: a generous width per character (DejaVu Sans is wide), and the text fitted to it exactly (textLength), so no font clips.
  const labels = faces.map(faceLabel);
  const sizes = labels.map((label) => ({ w: Math.min(width, Math.ceil(label.length * font * 0.62 + font)), h: Math.min(height, Math.ceil(font * 1.5)) }));
  const spots = placeLabels(faces.map((f) => ({ x: f.box[0], y: f.box[1], w: f.box[2], h: f.box[3] })), sizes, width, height);
  labels.forEach((label, i) => {
    const { x, y, w, h } = spots[i];
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">`
      + `<rect width="${w}" height="${h}" rx="${font / 4}" fill="#111317" fill-opacity="0.82"/>`
      + `<text x="${font / 2}" y="${h * 0.72}" textLength="${w - font}" lengthAdjust="spacingAndGlyphs" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(label)}</text>`
      + '</svg>';
    overlays.push({ input: Buffer.from(svg), left: Math.round(x), top: Math.round(y) });
  });
  return overlays;
}

export async function writeFaceExport(options: {
  format: FaceExportFormat;
  target: string;
  original: string;
  /** Whether the original has an alpha channel worth keeping. */
  originalHasAlpha?: boolean;
  result: FaceResult;
  faces: Face[];
  /** Where every output goes through (never over an input or a file it did not write). */
  guard: OutputGuard;
  existing?: ExistingOutput;
}): Promise<{ path: string; bytes: number; written: boolean }> {
  const { format, original, result, faces, guard } = options;
  const write = (produce: (temp: string) => Promise<void>) => guard.write(options.target, produce, { existing: options.existing });
  let done;
  if (format === 'json') {
    done = await write((temp) => fs.writeFile(temp, `${JSON.stringify(faceRecord(original, result, faces), null, 2)}\n`));
  } else if (format === 'csv') {
    done = await write((temp) => fs.writeFile(temp, facesToCsv(faces)));
  } else {
    done = await write(async (temp) => {
      // Upright pixels (the orientation tag is reset to 1), EXIF and ICC kept.
      let image = openImageFile(original).autoOrient();
      // JPEG has no alpha: transparent parts become white, as in the viewer.
      if (options.originalHasAlpha && format === 'jpeg') image = image.flatten({ background: '#ffffff' });
      image = image.composite(faceOverlays(faces, result.width, result.height)).keepMetadata();
      // Compositing adds an alpha channel; drop it unless the original had one.
      if (!options.originalHasAlpha || format === 'jpeg') image = image.removeAlpha();
      image = format === 'png' ? image.png() : image.jpeg({ quality: 92 });
      await image.toFile(temp).catch(async (error: unknown) => {
        throw await imageError(error, original);
      });
    });
  }
  const { size } = await fs.stat(done.path);
  return { path: done.path, bytes: size, written: done.written };
}
