/**
 * Panel state for one notebook, as plain classes: no JupyterLab widgets, no DOM. The API client
 * (and through it the transport) and the timers are injected, so the tests drive everything.
 */
import {
  DataSummary,
  Drift,
  Finding,
  JobState,
  LayoutItem,
  LintReply,
  NbkitAPI,
  PinnedEnvironment,
  PolicyVerdict,
  Severity,
  VerifyCell,
  VerifyJob,
  VerifyNotebook,
  VerifyProgress,
  VerifyReport
} from './api';

/** The user settings (schema/plugin.json). */
export interface IPanelSettings {
  /** Lint after saves and (debounced) edits. */
  autoLint: boolean;
  /** `report`, `exploratory`, or '' for the project's configuration. */
  profile: string;
  /** Rule codes or code prefixes to ignore. */
  ignore: string[];
  /** Quiet time after the last edit before an automatic lint, in milliseconds. */
  debounceMs: number;
  /** How often a running verify job is polled, in milliseconds. */
  pollMs: number;
  /** Where Verify runs the kernel: '' (the project's [tool.nbkit.verify] env), 'current' or 'pinned'. */
  verifyEnv: '' | 'current' | 'pinned';
}

export const DEFAULT_SETTINGS: IPanelSettings = {
  autoLint: true,
  profile: '',
  ignore: [],
  debounceMs: 750,
  pollMs: 500,
  verifyEnv: ''
};

export const SEVERITIES: Severity[] = ['error', 'warning', 'info'];

/** Timers, injectable for tests. */
export interface IClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): Date;
}

export const realClock: IClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: handle =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => new Date()
};

/** Whether `code` is ignored by one of the entries (an exact code or a prefix like `NBH`). */
export function isIgnored(code: string, ignore: string[]): boolean {
  const upper = code.toUpperCase();
  return ignore.some(entry => {
    const e = entry.trim().toUpperCase();
    return e !== '' && upper.startsWith(e);
  });
}

/** Findings grouped by severity, in notebook order inside each group. */
export function groupFindings(
  findings: Finding[]
): { severity: Severity; findings: Finding[] }[] {
  return SEVERITIES.map(severity => ({
    severity,
    findings: findings
      .filter(f => f.severity === severity)
      .sort(
        (a, b) =>
          (a.cell_index ?? -1) - (b.cell_index ?? -1) ||
          (a.line ?? 0) - (b.line ?? 0) ||
          a.code.localeCompare(b.code)
      )
  })).filter(group => group.findings.length > 0);
}

/** Cells of a verify result that need the user's eyes (mismatch or error). */
export function problemCells(notebook: VerifyNotebook | null): VerifyCell[] {
  if (!notebook) {
    return [];
  }
  return (notebook.cells ?? []).filter(
    c => c.status === 'mismatch' || c.status === 'error'
  );
}

/** An <img> source for image output data as the verify report carries it (base64 or SVG text). */
export function imageSource(mime: string, data: string): string {
  if (data.startsWith('data:')) {
    return data;
  }
  if (mime === 'image/svg+xml') {
    return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data)}`;
  }
  return `data:${mime};base64,${data.replace(/\s+/g, '')}`;
}

export function isImageMime(mime: string | null | undefined): boolean {
  return !!mime && mime.startsWith('image/');
}

/** "just now", "5 min ago", "3 h ago", "2 days ago" (or the date, for older times). */
export function timeAgo(when: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - when.getTime()) / 1000);
  if (Number.isNaN(seconds)) {
    return '';
  }
  if (seconds < 45) {
    return 'just now';
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.round(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  const days = Math.round(hours / 24);
  if (days < 30) {
    return days === 1 ? '1 day ago' : `${days} days ago`;
  }
  return when.toISOString().slice(0, 10);
}

export type LintStatus = 'idle' | 'linting' | 'done' | 'error';
export type VerifyStatus = 'idle' | 'starting' | 'cancelling' | JobState;

export interface IVerifyState {
  status: VerifyStatus;
  job: string | null;
  progress: VerifyProgress | null;
  report: VerifyReport | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The verify state before any verify. */
export const IDLE_VERIFY: IVerifyState = {
  status: 'idle',
  job: null,
  progress: null,
  report: null,
  error: null,
  startedAt: null,
  finishedAt: null
};

/** The reproducibility summary shown in the panel. */
export interface IReproStatus {
  pinned: boolean;
  environment: PinnedEnvironment | null;
  drift: Drift[];
  seed: number | null;
  /** The data pins against the input files now (absent or null: the notebook pins no data). */
  data?: DataSummary | null;
  /** The last verify: from this session's job, else the notebook's `verified` stamp. */
  lastVerify: { status: string; at: Date | null; source: 'session' | 'stamp' } | null;
}

/** The state of the panel for one notebook. */
export class NotebookState {
  constructor(
    private readonly _api: NbkitAPI,
    path: string,
    settings: Partial<IPanelSettings> = {},
    private readonly _clock: IClock = realClock
  ) {
    this._path = path;
    this._settings = { ...DEFAULT_SETTINGS, ...settings };
  }

  // ---- observers -------------------------------------------------------------------------

  /** Register a listener for any state change; returns a function that unregisters it. */
  onChange(listener: () => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  private _emit(): void {
    if (this._disposed) {
      return;
    }
    for (const listener of Array.from(this._listeners)) {
      listener();
    }
  }

  // ---- plain state -----------------------------------------------------------------------

  /** The current time, from the state's clock. */
  now(): Date {
    return this._clock.now();
  }

  get path(): string {
    return this._path;
  }
  set path(value: string) {
    if (value !== this._path) {
      this._path = value;
      this._emit();
    }
  }

  get settings(): IPanelSettings {
    return this._settings;
  }

  /** Update the settings; changes to what is linted re-filter the findings at once. */
  updateSettings(settings: Partial<IPanelSettings>): void {
    this._settings = { ...this._settings, ...settings };
    this._emit();
  }

  get lintStatus(): LintStatus {
    return this._lintStatus;
  }
  get lintError(): string | null {
    return this._lintError;
  }
  get lintedAt(): Date | null {
    return this._lintedAt;
  }
  get reply(): LintReply | null {
    return this._reply;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The findings of the last lint, without the ignored codes. */
  get findings(): Finding[] {
    const all = this._reply?.findings ?? [];
    return all.filter(f => !isIgnored(f.code, this._settings.ignore));
  }

  get groups(): { severity: Severity; findings: Finding[] }[] {
    return groupFindings(this.findings);
  }

  get counts(): { [severity in Severity]: number } {
    const counts = { error: 0, warning: 0, info: 0 };
    for (const f of this.findings) {
      counts[f.severity] = (counts[f.severity] ?? 0) + 1;
    }
    return counts;
  }

  get layout(): LayoutItem[] {
    return this._reply?.status.layout ?? [];
  }

  get verify(): IVerifyState {
    return this._verify;
  }

  /** The verify result for this notebook in the last report. */
  get verifyResult(): VerifyNotebook | null {
    const notebooks = this._verify.report?.notebooks ?? [];
    return notebooks.find(n => n.path === this._path) ?? notebooks[0] ?? null;
  }

  get pinStatus(): 'idle' | 'pinning' | 'error' {
    return this._pinStatus;
  }
  get pinError(): string | null {
    return this._pinError;
  }

  get repro(): IReproStatus {
    const status = this._reply?.status ?? null;
    const result = this.verifyResult;
    let lastVerify: IReproStatus['lastVerify'] = null;
    if (result && this._verify.status === 'done') {
      lastVerify = {
        status: result.status,
        at: this._verify.finishedAt,
        source: 'session'
      };
    } else if (status?.verified?.status) {
      const at = status.verified.at ? new Date(status.verified.at) : null;
      lastVerify = {
        status: status.verified.status,
        at: at && !Number.isNaN(at.getTime()) ? at : null,
        source: 'stamp'
      };
    }
    return {
      pinned: !!status?.pinned,
      environment: status?.environment ?? null,
      drift: result?.drift ?? status?.drift ?? [],
      seed: status?.seed ?? null,
      data: status?.data ?? null,
      lastVerify
    };
  }

  // ---- lint ------------------------------------------------------------------------------

  /**
   * Lint now: the saved file, or `content` (the unsaved notebook JSON). Replies that arrive
   * after a newer request was sent are dropped.
   */
  async lint(content?: unknown): Promise<void> {
    this.cancelScheduledLint();
    const seq = ++this._lintSeq;
    this._lintStatus = 'linting';
    this._emit();
    try {
      const reply = await this._api.lint(this._path, {
        content,
        profile: this._settings.profile,
        ignore: this._settings.ignore
      });
      if (seq !== this._lintSeq || this._disposed) {
        return;
      }
      this._reply = reply;
      this._lintStatus = 'done';
      this._lintError = null;
      this._lintedAt = this._clock.now();
    } catch (error) {
      if (seq !== this._lintSeq || this._disposed) {
        return;
      }
      this._lintStatus = 'error';
      this._lintError = error instanceof Error ? error.message : String(error);
    }
    this._emit();
  }

  /**
   * Lint after `debounceMs` of quiet: every call restarts the wait. `content` is called when the
   * timer fires so the latest unsaved state is sent. Does nothing when auto-lint is off.
   */
  scheduleLint(content: () => unknown): void {
    if (!this._settings.autoLint || this._disposed) {
      return;
    }
    this.cancelScheduledLint();
    this._timer = this._clock.setTimeout(() => {
      this._timer = null;
      void this.lint(content());
    }, this._settings.debounceMs);
  }

  get lintScheduled(): boolean {
    return this._timer !== null;
  }

  cancelScheduledLint(): void {
    if (this._timer !== null) {
      this._clock.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  // ---- verify ----------------------------------------------------------------------------

  get verifying(): boolean {
    const s = this._verify.status;
    return (
      s === 'starting' || s === 'queued' || s === 'running' || s === 'cancelling'
    );
  }

  /** Start a verify job of the saved notebook and poll it until it ends. */
  /** Start a verify job; `env` overrides the verifyEnv setting for this run. */
  async startVerify(env?: 'current' | 'pinned'): Promise<void> {
    if (this.verifying) {
      return;
    }
    const run = ++this._verifyRun;
    this._verify = {
      ...IDLE_VERIFY,
      status: 'starting',
      startedAt: this._clock.now()
    };
    this._emit();
    let job: string;
    try {
      const where = env || this._settings.verifyEnv || undefined;
      job = await this._api.startVerify(this._path, where ? { env: where } : {});
    } catch (error) {
      this._finishVerify(run, 'error', error);
      return;
    }
    if (run !== this._verifyRun || this._disposed) {
      // cancelled (or disposed) while the job was being created: stop it on the server too
      this._api.cancelVerify(job).catch(() => undefined);
      return;
    }
    this._verify = { ...this._verify, status: 'queued', job };
    this._emit();
    await this._poll(run, job);
  }

  private _sleep(ms: number): Promise<void> {
    return new Promise(resolve => this._clock.setTimeout(resolve, ms));
  }

  private async _poll(run: number, job: string): Promise<void> {
    let failures = 0;
    for (;;) {
      if (run !== this._verifyRun || this._disposed) {
        return;
      }
      let reply: VerifyJob;
      try {
        reply = await this._api.verifyStatus(job);
        failures = 0;
      } catch (error) {
        // a transient failure is retried a few times; a 404 means the job is gone
        failures += 1;
        const status = (error as { status?: number }).status;
        if (status === 404 || failures >= 5) {
          this._finishVerify(run, 'error', error);
          return;
        }
        await this._sleep(this._settings.pollMs);
        continue;
      }
      if (run !== this._verifyRun || this._disposed) {
        return;
      }
      this._verify = {
        ...this._verify,
        status: reply.state,
        progress: reply.progress ?? this._verify.progress,
        report: reply.report ?? this._verify.report
      };
      if (
        reply.state === 'done' ||
        reply.state === 'cancelled' ||
        reply.state === 'error'
      ) {
        const message =
          reply.state === 'error'
            ? (reply.message ?? 'verify failed')
            : null;
        this._verify = {
          ...this._verify,
          error: message,
          finishedAt: this._clock.now()
        };
        this._emit();
        return;
      }
      this._emit();
      await this._sleep(this._settings.pollMs);
    }
  }

  private _finishVerify(run: number, status: VerifyStatus, error: unknown): void {
    if (run !== this._verifyRun || this._disposed) {
      return;
    }
    this._verify = {
      ...this._verify,
      status,
      error: error instanceof Error ? error.message : String(error),
      finishedAt: this._clock.now()
    };
    this._emit();
  }

  /**
   * Cancel the running verify job: "cancelling" until the server has stopped it (and shut its
   * kernel down), then "cancelled" (or "done", when the job finished first).
   */
  async cancelVerify(): Promise<void> {
    const s = this._verify.status;
    if (!this.verifying || s === 'cancelling') {
      return;
    }
    const job = this._verify.job;
    const run = ++this._verifyRun; // stops the polling loop
    this._verify = { ...this._verify, status: 'cancelling' };
    this._emit();
    let final: VerifyJob | null = null;
    let error: string | null = null;
    if (job) {
      try {
        final = await this._api.cancelVerify(job);
      } catch (e) {
        const status = (e as { status?: number }).status;
        // 404: the job already ended and was forgotten; nothing is running any more
        if (status !== 404) {
          error = e instanceof Error ? e.message : String(e);
        }
      }
    }
    if (run !== this._verifyRun || this._disposed) {
      return;
    }
    const done = final?.state === 'done' && !!final.report;
    this._verify = {
      ...this._verify,
      status: done ? 'done' : 'cancelled',
      report: done ? final!.report! : this._verify.report,
      progress: final?.progress ?? this._verify.progress,
      error,
      finishedAt: this._clock.now()
    };
    this._emit();
  }

  // ---- pin -------------------------------------------------------------------------------

  /** Record the environment (and the seed, if given) into the saved notebook. */
  async pin(seed?: number): Promise<boolean> {
    this._pinStatus = 'pinning';
    this._pinError = null;
    this._emit();
    try {
      await this._api.pin(this._path, seed);
      this._pinStatus = 'idle';
      this._emit();
      return true;
    } catch (error) {
      this._pinStatus = 'error';
      this._pinError = error instanceof Error ? error.message : String(error);
      this._emit();
      return false;
    }
  }

  // ---- team policy -----------------------------------------------------------------------

  /** The team-policy verdict of the saved notebook (null: not asked yet, or not available). */
  get policy(): PolicyVerdict | null {
    return this._policy;
  }
  get policyError(): string | null {
    return this._policyError;
  }
  /** Whether the verdict was ever asked for (the controller asks once per notebook, then after saves). */
  get policyRequested(): boolean {
    return this._policySeq > 0;
  }

  /**
   * Ask the server for the saved notebook's policy verdict. Replies that arrive after a newer
   * request was sent are dropped; a failure keeps no stale verdict (a server without the route
   * simply shows no banner).
   */
  async refreshPolicy(): Promise<void> {
    const seq = ++this._policySeq;
    try {
      const verdict = await this._api.policy(this._path);
      if (seq !== this._policySeq || this._disposed) {
        return;
      }
      this._policy = verdict;
      this._policyError = null;
    } catch (error) {
      if (seq !== this._policySeq || this._disposed) {
        return;
      }
      this._policy = null;
      this._policyError = error instanceof Error ? error.message : String(error);
    }
    this._emit();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this.cancelScheduledLint();
    this._verifyRun++;
    this._disposed = true;
    this._listeners.clear();
  }

  private _path: string;
  private _settings: IPanelSettings;
  private _listeners = new Set<() => void>();
  private _disposed = false;
  private _lintSeq = 0;
  private _lintStatus: LintStatus = 'idle';
  private _lintError: string | null = null;
  private _lintedAt: Date | null = null;
  private _reply: LintReply | null = null;
  private _timer: unknown = null;
  private _verify: IVerifyState = IDLE_VERIFY;
  private _verifyRun = 0;
  private _pinStatus: 'idle' | 'pinning' | 'error' = 'idle';
  private _pinError: string | null = null;
  private _policy: PolicyVerdict | null = null;
  private _policyError: string | null = null;
  private _policySeq = 0;
}
