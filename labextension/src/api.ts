/**
 * The nbkit REST API ({base_url}/nbkit/api/...) as typed calls.
 *
 * The transport is injectable: in JupyterLab it is `ServerConnection.makeRequest` (which adds the
 * token and the XSRF header); in unit tests it is a fake `fetch`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  LintReply,
  NotebookCell,
  PinReply,
  PolicyVerdict,
  Rule,
  RulesCatalogue,
  TemplateReply,
  VerifyJob,
  VerifyStarted
} from './schema-types';

/**
 * The replies' types, generated from nbkit/schemas/*.schema.json (`jlpm build:types`): the
 * schemas are the contract; nothing here restates them by hand.
 */
export type * from './schema-types';

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
  /** Where the kernel runs: today's environment, or one built from the notebook's pins. */
  env?: 'current' | 'pinned';
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
  lint(path: string, options: ILintOptions = {}): Promise<LintReply> {
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
    return this._call<LintReply>('lint', 'POST', body);
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
    if (options.env) {
      body.env = options.env;
    }
    const reply = await this._call<VerifyStarted>('verify', 'POST', body);
    if (!reply || typeof reply.job !== 'string') {
      throw new NbkitApiError('nbkit verify: the reply has no job id', 500);
    }
    return reply.job;
  }

  verifyStatus(job: string): Promise<VerifyJob> {
    return this._call<VerifyJob>(
      `verify/${encodeURIComponent(job)}`,
      'GET'
    );
  }

  /** Cancel a job; resolves (once the server has stopped it) to the job's final state. */
  async cancelVerify(job: string): Promise<VerifyJob | null> {
    const reply = await this._call<VerifyJob | undefined>(
      `verify/${encodeURIComponent(job)}`,
      'DELETE'
    );
    return reply ?? null;
  }

  /** Record the server's kernel environment (and the seed, if given) into the notebook file. */
  pin(path: string, seed?: number): Promise<PinReply> {
    const body: { [key: string]: unknown } = { path };
    if (seed !== undefined && seed !== null) {
      body.seed = seed;
    }
    return this._call<PinReply>('pin', 'POST', body);
  }

  /**
   * The team-policy verdict of the saved notebook (`nbkit.policy/1`): the server checks it after
   * each save through the contents API; `configured: false` when no policy applies.
   */
  policy(path: string): Promise<PolicyVerdict> {
    return this._call<PolicyVerdict>(`policy?path=${encodeURIComponent(path)}`, 'GET');
  }

  /** The rule catalogue (`nbkit.rules/1`), each rule with its documentation. */
  async rules(): Promise<Rule[]> {
    return (await this._call<RulesCatalogue>('rules', 'GET')).rules;
  }

  /** The standard-layout skeleton cells. */
  async template(): Promise<NotebookCell[]> {
    return (await this._call<TemplateReply>('template', 'GET')).cells;
  }
}
