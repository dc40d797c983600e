import { describe, expect, it } from 'vitest';
import { argmax, readAttributes } from '../../../../electron/engine/pipelines/faces/attributes';
import { writeDetectorInput } from '../../../../electron/engine/pipelines/faces/detector-preprocess';

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

describe('attribute outputs', () => {
  it('reads age, the likelier gender and the expression distribution of one face of a batch', () => {
    const outputs = {
      age: Float32Array.from([31.5, 62]),
      gender: Float32Array.from([0.2, 0.8, 0.9, 0.1]),
      emotion: Float32Array.from([0.1, 0, 0, 0.7, 0.1, 0, 0.1, 0, 0, 0, 0, 0.3, 0.2, 0.5]),
    };
    const second = readAttributes(outputs, 1, ['female', 'male'], EMOTIONS);
    expect(second.age).toBe(62);
    expect(second.gender.label).toBe('female');
    expect(second.gender.p).toBeCloseTo(0.9, 6);
    expect(second.emotion.label).toBe('neutral');
    expect(Object.keys(second.emotion.all)).toEqual(EMOTIONS);
    expect(second.emotion.all.sad).toBeCloseTo(0.3, 6);
    expect(readAttributes(outputs, 0, ['female', 'male'], EMOTIONS).emotion.label).toBe('happy');
  });

  it('argmax picks the first of equal maxima', () => {
    expect(argmax([0.2, 0.5, 0.5])).toBe(1);
  });
});

describe('detector input', () => {
  it('scales 8-bit RGB to [-1, 1] in NCHW and pads outside the source with -1', () => {
    const raw = { data: Uint8Array.from([0, 127.5, 255, 255, 255, 255]), width: 2, height: 1, channels: 3 };
    const batch = new Float32Array(2 * 3 * 4);
    writeDetectorInput(raw, 1, 0, 2, batch, 1);
    const slot = [...batch.subarray(12)];
    // window 2×2 starting at x=1: pixel (0,0) = source (1,0) white; others outside
    expect(slot).toEqual([1, -1, -1, -1, 1, -1, -1, -1, 1, -1, -1, -1]);
    writeDetectorInput(raw, 0, 0, 2, batch, 0);
    expect(batch[0]).toBe(-1);
    expect(batch[4]).toBeCloseTo(127 / 127.5 - 1, 6); // G of the first pixel (127 after Uint8 truncation)
  });

  it('repeats a gray source into the three channels', () => {
    const raw = { data: Uint8Array.from([51]), width: 1, height: 1, channels: 1 };
    const batch = new Float32Array(3);
    writeDetectorInput(raw, 0, 0, 1, batch, 0);
    expect([...batch].map((v) => Number(v.toFixed(4)))).toEqual([-0.6, -0.6, -0.6]);
  });
});
