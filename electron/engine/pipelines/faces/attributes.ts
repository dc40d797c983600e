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

/**
 * HSE faceres-deep's age from its 100 one-year bins (bin i = age i + 1):
 * 1 + the probability-weighted mean of the two likeliest bins, as upstream
 * (age_gender_identity/facial_analysis.py).
 */
export function hseAge(bins: ArrayLike<number>): number {
  let i1 = 0;
  for (let i = 1; i < bins.length; i++) if (bins[i] > bins[i1]) i1 = i;
  let i2 = i1 === 0 ? 1 : 0;
  for (let i = 0; i < bins.length; i++) if (i !== i1 && bins[i] > bins[i2]) i2 = i;
  return 1 + (i1 * bins[i1] + i2 * bins[i2]) / (bins[i1] + bins[i2]);
}

export interface AgeGender {
  age: number;
  /** [age - spread, age + spread], not below 0. */
  ageRange: [number, number];
  /** `p` is the model's probability of the label given (p(male) or 1 - p(male)). */
  gender: { label: 'female' | 'male'; p: number };
}

/** Face `index` of a faceres-deep batch: `ageBins [N,100]`, `male [N,1]` = p(male), decided at `maleThreshold`. */
export function readAgeGender(outputs: { ageBins: Float32Array; male: Float32Array }, index: number, maleThreshold: number, ageSpread: number): AgeGender {
  const age = hseAge(outputs.ageBins.subarray(index * 100, (index + 1) * 100));
  const pMale = outputs.male[index];
  const male = pMale >= maleThreshold;
  return {
    age,
    ageRange: [Math.max(0, age - ageSpread), age + ageSpread],
    gender: male ? { label: 'male', p: pMale } : { label: 'female', p: 1 - pMale },
  };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
