/**
 * The engine's face feature: runs the pipeline as a job on an open image,
 * keeps the latest result per image, and exports it.
 */
import path from 'node:path';
import type { ApiInput, ApiOutput, JobInfo } from '../../../common/contract';
import { IriscopeError } from '../../../common/errors';
import { FACE_CANDIDATE_FLOOR, type FaceResult } from '../../../common/faces-contract';
import type { ImageStore } from '../../images/image-store';
import type { ExistingOutput, OutputGuard } from '../../fs/output-guard';
import type { JobQueue } from '../../jobs/job-queue';
import type { ModelRegistry } from '../../models/model-registry';
import { defaultMinFace, detectFacesIn, type FaceModels } from './detect-faces';
import { writeFaceExport } from './export-faces';
import { ageGenderConfig, attributeConfig, detectorConfig } from './model-config';

export const FACE_DETECTOR_MODEL = 'face-detector';
export const FACE_ATTRIBUTES_MODEL = 'face-attributes';
/** Age and gender (HSE faceres-deep); where it is not installed, the merged graph's SSR-Net age and mini_XCEPTION gender are used. */
export const FACE_AGE_GENDER_MODEL = 'face-age-gender';

export class FaceService {
  private readonly results = new Map<string, FaceResult>();

  constructor(
    private readonly images: ImageStore,
    private readonly jobs: JobQueue,
    private readonly models: ModelRegistry,
    private readonly outputs: OutputGuard,
  ) {}

  /** Sessions and manifest settings of the two face models (verified by the registry). */
  async loadModels(): Promise<FaceModels> {
    const detectorModel = this.models.get(FACE_DETECTOR_MODEL);
    const attributesModel = this.models.get(FACE_ATTRIBUTES_MODEL);
    const detectorSettings = detectorConfig(detectorModel);
    const attributeSettings = attributeConfig(attributesModel);
    const ageGenderInstalled = this.models.list().some((m) => m.id === FACE_AGE_GENDER_MODEL);
    const ageGenderSettings = ageGenderInstalled ? ageGenderConfig(this.models.get(FACE_AGE_GENDER_MODEL)) : null;
    return {
      detector: await this.models.session(FACE_DETECTOR_MODEL, 'main'),
      detectorConfig: detectorSettings,
      attributes: await this.models.session(FACE_ATTRIBUTES_MODEL, 'main'),
      attributeConfig: attributeSettings,
      ...(ageGenderSettings ? { ageGender: { session: await this.models.session(FACE_AGE_GENDER_MODEL, 'main'), config: ageGenderSettings } } : {}),
    };
  }

  /** Starts a face job; `done` resolves with the result (also kept for getFaces). */
  start(input: ApiInput<'detectFaces'>): { job: JobInfo; done: Promise<FaceResult> } {
    const image = this.images.get(input.imageId);
    return this.jobs.submit({
      kind: 'faces',
      title: `Finding faces in ${image.name}`,
      imageId: image.id,
      lane: 'inference',
      run: async (ctx) => {
        ctx.progress(null, 'Waiting for the image');
        const reader = await this.images.whenReady(image.id);
        ctx.throwIfCancelled();
        ctx.progress(0, 'Loading the face models');
        const models = await this.loadModels();
        const threshold = input.threshold ?? models.detectorConfig.scoreThreshold;
        const floor = Math.min(threshold, FACE_CANDIDATE_FLOOR);
        const minFace = input.minFace ?? defaultMinFace(reader.width, reader.height);
        const detected = await detectFacesIn(reader, models, { threshold, floor, minFace, thumbnails: true }, ctx);
        const result: FaceResult = {
          imageId: image.id,
          width: reader.width,
          height: reader.height,
          threshold,
          floor,
          minFace,
          ...detected,
          models: { detector: models.detectorConfig.version, attributes: models.attributeConfig.version, ...(models.ageGender ? { ageGender: models.ageGender.config.version } : {}) },
          createdAt: Date.now(),
        };
        this.results.set(image.id, result);
        return result;
      },
    });
  }

  get(imageId: string): FaceResult | null {
    this.images.get(imageId);
    return this.results.get(imageId) ?? null;
  }

  forget(imageId: string): void {
    this.results.delete(imageId);
  }

  /** `existing` overrides the call's `overwrite` for the engine's own batch work ('keep': a finished output stays). */
  async export(input: ApiInput<'exportFaces'>, existing: ExistingOutput = input.overwrite ? 'replace' : 'refuse'): Promise<ApiOutput<'exportFaces'>> {
    const image = this.images.get(input.imageId);
    const result = this.results.get(input.imageId);
    if (!result) {
      throw new IriscopeError({ code: 'NOT_FOUND', message: `No faces were searched in "${image.name}" yet.`, hint: 'Run Faces first, then export.' });
    }
    const threshold = input.threshold ?? result.threshold;
    const faces = result.faces.filter((f) => f.score >= threshold);
    const written = await writeFaceExport({ format: input.format, target: input.path, original: image.path, originalHasAlpha: image.hasAlpha, result, faces, guard: this.outputs, existing });
    return { path: path.resolve(written.path), bytes: written.bytes, faces: faces.length };
  }
}
