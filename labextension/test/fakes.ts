/**
 * Test doubles: a fake transport that records requests and answers from a routing table, and a
 * manual clock.
 */
import { IClock } from '../src/model';
import { NbkitAPI, Requester } from '../src/api';

export interface IRecorded {
  endpoint: string;
  method: string;
  body: any;
}

export type Route = (body: any) => { status?: number; json?: unknown; text?: string } | Promise<{ status?: number; json?: unknown; text?: string }>;

/** A transport answering `METHOD endpoint` from `routes`; unknown routes answer 404. */
export class FakeServer {
  requests: IRecorded[] = [];
  routes: { [key: string]: Route } = {};

  on(method: string, endpoint: string, route: Route): this {
    this.routes[`${method} ${endpoint}`] = route;
    return this;
  }

  get requester(): Requester {
    return async (endpoint: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      const body = init.body ? JSON.parse(init.body as string) : undefined;
      this.requests.push({ endpoint, method, body });
      const route = this.routes[`${method} ${endpoint}`];
      if (!route) {
        return new Response(JSON.stringify({ message: `no route ${endpoint}` }), {
          status: 404
        });
      }
      const reply = await route(body);
      const text = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
      return new Response(text, {
        status: reply.status ?? 200,
        headers: { 'Content-Type': 'application/json' }
      });
    };
  }

  api(): NbkitAPI {
    return new NbkitAPI(this.requester);
  }
}

/** A clock whose timers fire only when the test advances it. */
export class ManualClock implements IClock {
  time = Date.parse('2026-11-26T20:00:00Z');
  private _timers: { at: number; fn: () => void; id: number }[] = [];
  private _next = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this._next++;
    this._timers.push({ at: this.time + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this._timers = this._timers.filter(t => t.id !== handle);
  }

  now(): Date {
    return new Date(this.time);
  }

  get pending(): number {
    return this._timers.length;
  }

  /** Move time forward, firing due timers in order (and letting promises settle in between). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      this._timers.sort((a, b) => a.at - b.at);
      const next = this._timers[0];
      if (!next || next.at > end) {
        break;
      }
      this._timers.shift();
      this.time = next.at;
      next.fn();
      await flush();
    }
    this.time = end;
    await flush();
  }
}

/** Let pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
  }
  await new Promise(resolve => setTimeout(resolve, 0));
}

export function finding(over: Partial<Record<string, unknown>> = {}): any {
  return {
    path: 'a.ipynb',
    code: 'NBR004',
    name: 'unseeded-random',
    severity: 'error',
    cell_index: 3,
    cell_id: 'c3',
    line: 2,
    message: 'random used before seeding',
    fixable: false,
    ...over
  };
}

/** The keys of the lint reply's `status` (lint-reply.schema.json). */
const STATUS_KEYS = ['path', 'saved', 'layout', 'pinned', 'environment', 'seed', 'verified', 'drift', 'data'];

/** A lint reply; overrides of `status` keys (`pinned`, `seed`, ...) go into `status`. */
export function lintReply(over: Partial<Record<string, unknown>> = {}): any {
  const status: Record<string, unknown> = {
    path: 'a.ipynb',
    saved: true,
    layout: [
      { section: 'title', label: 'Title', required: true, present: true, cell_index: 0, insert_at: null, heading: '# Title' },
      { section: 'summary', label: 'Executive summary', required: true, present: false, cell_index: null, insert_at: 1, heading: '## Executive summary' },
      { section: 'next_steps', label: 'Next steps', required: false, present: false, cell_index: null, insert_at: 7, heading: '## Next steps' }
    ],
    pinned: false,
    environment: null,
    seed: null,
    verified: null,
    drift: []
  };
  const top: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(over)) {
    (STATUS_KEYS.includes(key) ? status : top)[key] = value;
  }
  return {
    schema: 'nbkit.lint/1',
    findings: [
      finding(),
      finding({ code: 'NBH001', name: 'long-cell', severity: 'warning', cell_index: 1, cell_id: 'c1', line: null, message: 'cell too long' }),
      finding({ code: 'NBL002', name: 'missing-summary', severity: 'error', cell_index: 0, cell_id: 'c0', line: 1, message: 'no executive summary' }),
      finding({ code: 'NBH009', name: 'todo', severity: 'info', cell_index: 5, cell_id: 'c5', line: 4, message: 'TODO left' })
    ],
    errors: [],
    summary: { notebooks: 1, error: 2, warning: 1, info: 1 },
    ...top,
    status
  };
}

/** A team-policy verdict (policy.schema.json): by default, missing Findings and no pinned environment. */
export function policyVerdict(over: Partial<Record<string, unknown>> = {}): any {
  return {
    schema: 'nbkit.policy/1',
    path: 'a.ipynb',
    configured: true,
    ok: false,
    summary: 'does not meet the team policy: missing Findings, environment not pinned',
    policy: {
      'required-sections': ['findings'],
      'require-pinned-environment': true,
      'require-seed': false,
      'max-severity-on-save': null
    },
    sources: [
      {
        kind: 'pyproject',
        path: 'pyproject.toml',
        label: 'pyproject.toml',
        keys: ['required-sections', 'require-pinned-environment']
      }
    ],
    violations: [
      {
        kind: 'missing-section',
        message: 'missing Findings',
        section: 'findings',
        codes: [],
        fix: {
          action: 'insert-section:findings',
          label: 'Insert Findings',
          command: 'nbkit lint --fix --select NBL004 a.ipynb'
        }
      },
      {
        kind: 'environment-not-pinned',
        message: 'environment not pinned',
        section: null,
        codes: [],
        fix: { action: 'pin', label: 'Pin environment', command: 'nbkit pin a.ipynb' }
      }
    ],
    error: null,
    checked_at: '2026-11-26T20:00:00Z',
    trigger: 'save',
    ...over
  };
}
