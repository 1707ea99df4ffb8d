/**
 * The nbkit REST API ({base_url}/nbkit/api/...) as typed calls.
 *
 * The transport is injectable: in JupyterLab it is `ServerConnection.makeRequest` (which adds the
 * token and the XSRF header); in unit tests it is a fake `fetch`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type Severity = 'error' | 'warning' | 'info';

/** One lint finding (the `nbkit.lint/1` report's finding). */
export interface IFinding {
  path: string;
  code: string;
  name: string;
  severity: Severity;
  cell_index: number | null;
  cell_id: string | null;
  line: number | null;
  message: string;
  fixable: boolean;
}

/** One entry of the standard-layout checklist. */
export interface ILayoutItem {
  section: string;
  label: string;
  required: boolean;
  present: boolean;
  cell_index: number | null;
  insert_at: number | null;
  heading: string;
}

/** `metadata.nbkit.verified`. */
export interface IVerifiedStamp {
  at?: string;
  status?: string;
  nbkit?: string;
}

/** `metadata.nbkit.environment` (or a summary of it). */
export interface IPinnedEnvironment {
  python?: string;
  implementation?: string;
  platform?: string;
  packages?: { [name: string]: string };
  captured_at?: string;
}

export interface ILintSummary {
  notebooks?: number;
  error?: number;
  warning?: number;
  info?: number;
  [key: string]: unknown;
}

/** The reply of POST lint. */
export interface ILintReply {
  schema: string;
  findings: IFinding[];
  summary: ILintSummary;
  layout?: ILayoutItem[];
  pinned?: IPinnedEnvironment | boolean | null;
  /** `metadata.nbkit.environment` when pinned. */
  environment?: IPinnedEnvironment | null;
  seed?: number | null;
  verified?: IVerifiedStamp | null;
  drift?: IDrift[];
}

export interface IDrift {
  package: string;
  pinned: string | null;
  installed: string | null;
}

export type CellStatus =
  | 'match'
  | 'mismatch'
  | 'error'
  | 'skipped'
  | 'ignored'
  | 'not-run';

export interface IVerifyCell {
  index: number;
  id?: string | null;
  status: CellStatus;
  mime?: string | null;
  expected?: string | null;
  actual?: string | null;
  diff?: string | null;
  message?: string | null;
  /** Image outputs that differ, as base64 PNG: stored, re-executed, and the pixel difference. */
  images?: { expected?: string | null; actual?: string | null; diff?: string | null } | null;
}

export type NotebookStatus =
  | 'reproducible'
  | 'mismatch'
  | 'failed'
  | 'nondeterministic'
  | 'timeout'
  | 'invalid';

export interface IVerifyNotebook {
  path: string;
  status: NotebookStatus;
  message: string;
  duration_s?: number;
  drift?: IDrift[];
  cells: IVerifyCell[];
}

/** The `nbkit.verify/1` report. */
export interface IVerifyReport {
  schema: string;
  notebooks: IVerifyNotebook[];
  summary: { [key: string]: number };
}

export type JobState = 'queued' | 'running' | 'done' | 'cancelled' | 'error';

export interface IVerifyProgress {
  cells: number;
  done: number;
  current: number | null;
}

/** The reply of GET verify/<job>. */
export interface IVerifyJob {
  job: string;
  state: JobState;
  progress?: IVerifyProgress | null;
  report?: IVerifyReport | null;
  error?: string | null;
  message?: string | null;
}

export interface IRule {
  code: string;
  name: string;
  severity?: Severity;
  [key: string]: unknown;
}

/** A cell as nbformat JSON (what GET template returns). */
export interface ITemplateCell {
  cell_type: 'markdown' | 'code' | 'raw';
  source: string | string[];
  metadata?: { [key: string]: unknown };
  id?: string;
  [key: string]: unknown;
}

export interface ILintOptions {
  /** The unsaved notebook JSON; when absent the saved file is linted. */
  content?: unknown;
  /** `report` or `exploratory`; empty or absent: the project's configuration decides. */
  profile?: string;
  /** Rule codes (or code prefixes) to ignore. */
  ignore?: string[];
}

export interface IVerifyOptions {
  parameters?: { [name: string]: unknown };
  timeout?: number;
}

/**
 * The transport: takes a path relative to `{base_url}/nbkit/api/` and a request init, returns
 * the Response.
 */
export type Requester = (endpoint: string, init: RequestInit) => Promise<Response>;

/** A failed request: the HTTP status (0: no reply) and the server's one-line reason. */
export class NbkitApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'NbkitApiError';
  }
}

/** The transport that goes through JupyterLab's server connection (token, XSRF, base URL). */
export function serverRequester(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Requester {
  return (endpoint: string, init: RequestInit) => {
    const url = URLExt.join(settings.baseUrl, 'nbkit', 'api', endpoint);
    return ServerConnection.makeRequest(url, init, settings);
  };
}

async function reasonOf(response: Response): Promise<string> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    text = '';
  }
  if (text) {
    try {
      const data = JSON.parse(text);
      const reason = data?.message ?? data?.reason ?? data?.error;
      if (typeof reason === 'string' && reason) {
        return reason;
      }
    } catch {
      // not JSON: fall through to the raw text when it is short
      if (text.length < 200 && !text.includes('<')) {
        return text.trim();
      }
    }
  }
  return response.statusText || `HTTP ${response.status}`;
}

/** The nbkit REST API client. */
export class NbkitAPI {
  constructor(private readonly _request: Requester = serverRequester()) {}

  private async _call<T>(
    endpoint: string,
    method: string,
    body?: unknown
  ): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    try {
      response = await this._request(endpoint, init);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new NbkitApiError(`nbkit server not reachable: ${reason}`, 0);
    }
    if (!response.ok) {
      throw new NbkitApiError(await reasonOf(response), response.status);
    }
    if (response.status === 204) {
      return undefined as unknown as T;
    }
    const text = await response.text();
    if (!text) {
      return undefined as unknown as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new NbkitApiError(
        `nbkit ${endpoint}: the reply is not JSON`,
        response.status
      );
    }
  }

  /** Lint the saved notebook at `path`, or the unsaved JSON given as `options.content`. */
  lint(path: string, options: ILintOptions = {}): Promise<ILintReply> {
    const body: { [key: string]: unknown } = { path };
    if (options.content !== undefined) {
      body.content = options.content;
    }
    if (options.profile) {
      body.profile = options.profile;
    }
    if (options.ignore && options.ignore.length) {
      body.ignore = options.ignore;
    }
    return this._call<ILintReply>('lint', 'POST', body);
  }

  /** Start a verify job; resolves to the job id. */
  async startVerify(path: string, options: IVerifyOptions = {}): Promise<string> {
    const body: { [key: string]: unknown } = { path };
    if (options.parameters) {
      body.parameters = options.parameters;
    }
    if (options.timeout !== undefined) {
      body.timeout = options.timeout;
    }
    const reply = await this._call<{ job: string }>('verify', 'POST', body);
    if (!reply || typeof reply.job !== 'string') {
      throw new NbkitApiError('nbkit verify: the reply has no job id', 500);
    }
    return reply.job;
  }

  verifyStatus(job: string): Promise<IVerifyJob> {
    return this._call<IVerifyJob>(
      `verify/${encodeURIComponent(job)}`,
      'GET'
    );
  }

  /** Cancel a job; resolves (once the server has stopped it) to the job's final state. */
  async cancelVerify(job: string): Promise<IVerifyJob | null> {
    const reply = await this._call<IVerifyJob | undefined>(
      `verify/${encodeURIComponent(job)}`,
      'DELETE'
    );
    return reply ?? null;
  }

  /** Record the server's kernel environment (and the seed, if given) into the notebook file. */
  pin(path: string, seed?: number): Promise<{ [key: string]: unknown }> {
    const body: { [key: string]: unknown } = { path };
    if (seed !== undefined && seed !== null) {
      body.seed = seed;
    }
    return this._call<{ [key: string]: unknown }>('pin', 'POST', body);
  }

  async rules(): Promise<IRule[]> {
    const reply = await this._call<IRule[] | { rules: IRule[] }>('rules', 'GET');
    return Array.isArray(reply) ? reply : (reply?.rules ?? []);
  }

  /** The standard-layout skeleton cells. */
  async template(): Promise<ITemplateCell[]> {
    const reply = await this._call<
      ITemplateCell[] | { cells: ITemplateCell[] }
    >('template', 'GET');
    return Array.isArray(reply) ? reply : (reply?.cells ?? []);
  }
}
