import { describe, expect, it } from 'vitest';
import { BLAZEFACE_BACK_LAYERS, anchorCount, generateAnchors } from '../../../../electron/engine/pipelines/faces/anchors';

describe('BlazeFace anchors', () => {
  const anchors = generateAnchors(BLAZEFACE_BACK_LAYERS);
  const at = (i: number) => [anchors[2 * i], anchors[2 * i + 1]];

  it('makes 896 anchors: 16×16×2 at stride 16, then 8×8×6 at stride 32', () => {
    expect(anchorCount(BLAZEFACE_BACK_LAYERS)).toBe(896);
    expect(anchors.length).toBe(2 * 896);
  });

  it('orders them row by row, then column, then anchor, with cell-centre positions', () => {
    expect(at(0)).toEqual([8, 8]);
    expect(at(1)).toEqual([8, 8]); // both anchors of a cell share its centre
    expect(at(2)).toEqual([24, 8]); // next column
    expect(at(32)).toEqual([8, 24]); // next row: 16 cells × 2 anchors later
    expect(at(511)).toEqual([248, 248]); // last of the stride-16 grid
    expect(at(512)).toEqual([16, 16]); // first of the stride-32 grid
    expect(at(517)).toEqual([16, 16]); // six anchors per cell
    expect(at(518)).toEqual([48, 16]);
    expect(at(895)).toEqual([240, 240]);
  });

  it('follows any layer list (the 128 px front model: strides 8 and 16)', () => {
    const front = generateAnchors([{ stride: 8, grid: 16, anchorsPerCell: 2 }, { stride: 16, grid: 8, anchorsPerCell: 6 }]);
    expect(front.length / 2).toBe(896);
    expect([front[0], front[1]]).toEqual([4, 4]);
    expect([front[2 * 895], front[2 * 895 + 1]]).toEqual([120, 120]);
  });
});
