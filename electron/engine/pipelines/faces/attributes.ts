/**
 * Reading the merged attribute graph's outputs (see
 * `models/face-attributes/manifest.json`): `age [N,1]` in years, `gender
 * [N,2]` softmax [female, male], `emotion [N,7]` softmax in FER2013 order.
 */

export interface FaceAttributes {
  age: number;
  gender: { label: string; p: number };
  emotion: { label: string; p: number; all: Record<string, number> };
}

export interface AttributeOutputs {
  age: Float32Array;
  gender: Float32Array;
  emotion: Float32Array;
}

/** The attributes of face `index` of a batch. */
export function readAttributes(outputs: AttributeOutputs, index: number, genderLabels: readonly string[], emotionLabels: readonly string[]): FaceAttributes {
  const g = outputs.gender.subarray(index * genderLabels.length, (index + 1) * genderLabels.length);
  const e = outputs.emotion.subarray(index * emotionLabels.length, (index + 1) * emotionLabels.length);
  const gi = argmax(g);
  const ei = argmax(e);
  return {
    age: outputs.age[index],
    gender: { label: genderLabels[gi], p: g[gi] },
    emotion: { label: emotionLabels[ei], p: e[ei], all: Object.fromEntries(emotionLabels.map((label, i) => [label, e[i]])) },
  };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
