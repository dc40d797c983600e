import * as ort from 'onnxruntime-node';
import type { ProviderName, SessionReport, Settings } from '../../common/contract';
import { IriscopeError } from '../../common/errors';
import { defaultChain, platformProviders, tryProviders, type BackendInfo, type ProviderAttempt } from './provider-chain';
import { missingRequirement } from './provider-requirements';

export type InferenceSession = ort.InferenceSession;

// A provider that cannot start logs a long ERROR line before it throws; we
// catch and report the reason ourselves. IRISCOPE_ORT_LOG=verbose shows all.
ort.env.logLevel = (process.env.IRISCOPE_ORT_LOG as typeof ort.env.logLevel | undefined) ?? 'fatal';

export interface SessionKey {
  model: string;
  graph: string;
  /** Path of the .onnx file. */
  file: string;
  /**
   * Providers this graph should use when the setting is 'auto', e.g. ['cpu']
   * for graphs of thousands of tiny calls, where GPU launch overhead wins.
   */
  prefer?: ProviderName[];
}

interface CachedSession {
  session: ort.InferenceSession;
  report: SessionReport;
}

/**
 * Creates and caches onnxruntime sessions. Each session walks the provider
 * chain (or the forced provider), and the outcome of every attempt is kept
 * so the UI and `iriscope info` can say where each model really runs.
 */
export class SessionManager {
  private readonly sessions = new Map<string, Promise<CachedSession>>();
  private readonly openReports = new Map<string, SessionReport>();
  private probeResult: Promise<ProviderAttempt[]> | null = null;

  constructor(
    private readonly inference: () => Settings['inference'],
    private readonly probeModel: string,
    private readonly platform: NodeJS.Platform = process.platform,
    /** What a provider lacks on this machine (see provider-requirements.ts); tests pass their own. */
    private readonly precheck: (provider: ProviderName) => string | null = (p) => missingRequirement(p, { platform }),
  ) {}

  backends(): BackendInfo[] {
    return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
  }

  /** Providers to try for new sessions: the platform chain, or the one the user forced. */
  chain(prefer?: ProviderName[]): ProviderName[] {
    const { provider } = this.inference();
    if (provider !== 'auto') return [provider];
    const chain = defaultChain(this.platform);
    if (!prefer?.length) return chain;
    const preferred = chain.filter((p) => prefer.includes(p));
    return preferred.length ? preferred : ['cpu'];
  }

  async get(key: SessionKey): Promise<ort.InferenceSession> {
    const cacheKey = `${key.model}\0${key.graph}\0${key.file}`;
    let entry = this.sessions.get(cacheKey);
    if (!entry) {
      entry = this.create(key);
      this.sessions.set(cacheKey, entry);
      entry.then((created) => this.openReports.set(cacheKey, created.report), () => this.sessions.delete(cacheKey));
    }
    return (await entry).session;
  }

  /** Where each open session runs, and why earlier providers were skipped. */
  reports(): SessionReport[] {
    return [...this.openReports.values()];
  }

  /**
   * Tries every provider of the platform on a tiny probe model, without
   * stopping at the first success, so `iriscope info` and Settings can list
   * them all with what each one lacks.
   */
  probe(): Promise<ProviderAttempt[]> {
    if (!this.probeResult) {
      this.probeResult = (async () => {
        const attempts: ProviderAttempt[] = [];
        for (const provider of platformProviders(this.platform)) {
          const result = await tryProviders([provider], this.backends(), (p) => this.open(this.probeModel, p, true), this.platform, this.precheck);
          await result.value?.release();
          attempts.push(...result.attempts);
        }
        return attempts;
      })();
    }
    return this.probeResult;
  }

  /** Drops cached sessions (after a settings change, or to free memory). */
  async releaseAll(): Promise<void> {
    const entries = [...this.sessions.values()];
    this.sessions.clear();
    this.openReports.clear();
    this.probeResult = null;
    for (const entry of entries) {
      try {
        await (await entry).session.release();
      } catch {
        // A session that failed to open has nothing to release.
      }
    }
  }

  private async create(key: SessionKey): Promise<CachedSession> {
    const chain = this.chain(key.prefer);
    const result = await tryProviders(chain, this.backends(), (p) => this.open(key.file, p, false), this.platform, this.precheck);
    if (!result.value) {
      const reasons = result.attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ');
      throw new IriscopeError({
        code: 'PROVIDER_UNAVAILABLE',
        message: chain.length === 1 && this.inference().provider !== 'auto'
          ? `The model "${key.model}" cannot run on ${chain[0]}, the provider chosen in Settings.`
          : `No execution provider could run the model "${key.model}".`,
        detail: reasons,
        hint: 'Set the execution provider to Automatic or CPU in Settings → Inference.',
      });
    }
    return { session: result.value, report: { model: key.model, graph: key.graph, provider: result.provider, attempts: result.attempts } };
  }

  private open(file: string, provider: ProviderName, quiet: boolean): Promise<ort.InferenceSession> {
    const { intraOpThreads, deviceId } = this.inference();
    const executionProvider = provider === 'cuda' || provider === 'dml' || provider === 'tensorrt' ? { name: provider, deviceId } : provider;
    return ort.InferenceSession.create(file, {
      executionProviders: [executionProvider as ort.InferenceSession.ExecutionProviderConfig],
      graphOptimizationLevel: 'all',
      ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
      // Failed provider attempts log loudly at ERROR; we report them ourselves.
      logSeverityLevel: quiet || provider !== 'cpu' ? 4 : 3,
    });
  }
}
