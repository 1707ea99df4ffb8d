import {
  NotebookState,
  groupFindings,
  imageSource,
  isIgnored,
  problemCells,
  timeAgo
} from '../src/model';
import { FakeServer, ManualClock, finding, flush, lintReply, policyVerdict } from './fakes';

function verifyReport(status: string, cells: any[] = []): any {
  return {
    schema: 'nbkit.verify/1',
    notebooks: [{ path: 'a.ipynb', status, message: `notebook is ${status}`, duration_s: 1.5, drift: [], cells }],
    summary: { notebooks: 1, [status]: 1 }
  };
}

describe('helpers', () => {
  it('groups findings by severity in error, warning, info order, sorted by cell', () => {
    const groups = groupFindings([
      finding({ severity: 'info', code: 'NBH009', cell_index: 1 }),
      finding({ severity: 'error', code: 'NBR004', cell_index: 5 }),
      finding({ severity: 'error', code: 'NBR009', cell_index: 2 })
    ]);
    expect(groups.map(g => g.severity)).toEqual(['error', 'info']);
    expect(groups[0].findings.map(f => f.code)).toEqual(['NBR009', 'NBR004']);
  });

  it('ignores exact codes and prefixes, case-insensitively', () => {
    expect(isIgnored('NBR004', ['nbr004'])).toBe(true);
    expect(isIgnored('NBH001', ['NBH'])).toBe(true);
    expect(isIgnored('NBR004', ['NBH', 'NBR005'])).toBe(false);
    expect(isIgnored('NBR004', [''])).toBe(false);
  });

  it('builds image sources for base64 PNG, SVG text and data URLs', () => {
    expect(imageSource('image/png', 'iVBOR\nw0K')).toBe('data:image/png;base64,iVBORw0K');
    expect(imageSource('image/svg+xml', '<svg/>')).toBe(
      'data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E'
    );
    expect(imageSource('image/png', 'data:image/png;base64,AA')).toBe('data:image/png;base64,AA');
  });

  it('says how long ago something happened', () => {
    const now = new Date('2026-11-26T20:00:00Z');
    expect(timeAgo(new Date('2026-11-26T19:59:50Z'), now)).toBe('just now');
    expect(timeAgo(new Date('2026-11-26T19:55:00Z'), now)).toBe('5 min ago');
    expect(timeAgo(new Date('2026-11-26T17:00:00Z'), now)).toBe('3 h ago');
    expect(timeAgo(new Date('2026-11-24T20:00:00Z'), now)).toBe('2 days ago');
    expect(timeAgo(new Date('2026-01-02T20:00:00Z'), now)).toBe('2026-01-02');
  });

  it('lists the mismatching and failing cells of a verify result', () => {
    const nb = verifyReport('mismatch', [
      { index: 0, status: 'match' },
      { index: 2, status: 'mismatch', diff: '-1\n+2' },
      { index: 3, status: 'error' },
      { index: 4, status: 'skipped' }
    ]).notebooks[0];
    expect(problemCells(nb).map(c => c.index)).toEqual([2, 3]);
    expect(problemCells(null)).toEqual([]);
  });
});

describe('NotebookState lint', () => {
  it('lints, stores the reply and notifies listeners', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({ json: lintReply() }));
    const clock = new ManualClock();
    const state = new NotebookState(server.api(), 'a.ipynb', {}, clock);
    const seen: string[] = [];
    state.onChange(() => seen.push(state.lintStatus));
    await state.lint();
    expect(seen).toEqual(['linting', 'done']);
    expect(state.findings).toHaveLength(4);
    expect(state.counts).toEqual({ error: 2, warning: 1, info: 1 });
    expect(state.layout.map(i => i.section)).toEqual(['title', 'summary', 'next_steps']);
    expect(state.lintedAt).toEqual(clock.now());
  });

  it('hides ignored codes and re-filters when the setting changes', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({ json: lintReply() }));
    const state = new NotebookState(server.api(), 'a.ipynb', { ignore: ['NBH'] }, new ManualClock());
    await state.lint();
    expect(state.findings.map(f => f.code).sort()).toEqual(['NBL002', 'NBR004']);
    expect(server.requests[0].body.ignore).toEqual(['NBH']);
    state.updateSettings({ ignore: [] });
    expect(state.findings).toHaveLength(4);
  });

  it('keeps the error of a failed lint and clears it on the next success', async () => {
    let fail = true;
    const server = new FakeServer().on('POST', 'lint', () =>
      fail ? { status: 400, json: { message: 'a.ipynb: not a notebook' } } : { json: lintReply() }
    );
    const state = new NotebookState(server.api(), 'a.ipynb', {}, new ManualClock());
    await state.lint();
    expect(state.lintStatus).toBe('error');
    expect(state.lintError).toBe('a.ipynb: not a notebook');
    fail = false;
    await state.lint();
    expect(state.lintStatus).toBe('done');
    expect(state.lintError).toBeNull();
  });

  it('drops a reply that arrives after a newer request was sent', async () => {
    const resolvers: ((v: any) => void)[] = [];
    const server = new FakeServer().on('POST', 'lint', () => new Promise(resolve => resolvers.push(resolve)));
    const state = new NotebookState(server.api(), 'a.ipynb', {}, new ManualClock());
    const first = state.lint({ version: 1 });
    const second = state.lint({ version: 2 });
    await flush();
    expect(resolvers).toHaveLength(2);
    resolvers[1]({ json: lintReply({ findings: [] }) });
    await second;
    resolvers[0]({ json: lintReply() });
    await first;
    expect(state.findings).toEqual([]);
  });

  it('debounces edits and sends the latest unsaved content', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({ json: lintReply() }));
    const clock = new ManualClock();
    const state = new NotebookState(server.api(), 'a.ipynb', { debounceMs: 500 }, clock);
    let content = { v: 1 };
    state.scheduleLint(() => content);
    await clock.advance(300);
    content = { v: 2 };
    state.scheduleLint(() => content);
    await clock.advance(300);
    expect(server.requests).toHaveLength(0);
    content = { v: 3 };
    await clock.advance(250);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].body.content).toEqual({ v: 3 });
    expect(state.lintScheduled).toBe(false);
  });

  it('does not lint on edits when auto-lint is off, and a direct lint cancels a pending one', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({ json: lintReply() }));
    const clock = new ManualClock();
    const state = new NotebookState(server.api(), 'a.ipynb', { autoLint: false }, clock);
    state.scheduleLint(() => ({}));
    expect(state.lintScheduled).toBe(false);
    state.updateSettings({ autoLint: true });
    state.scheduleLint(() => ({ pending: true }));
    expect(state.lintScheduled).toBe(true);
    await state.lint();
    await clock.advance(5000);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].body.content).toBeUndefined();
  });

  it('summarises pinned environment, seed and the verified stamp', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({
      json: lintReply({
        pinned: true,
        environment: { python: '3.11.7', packages: { numpy: '2.0.0', pandas: '2.2.0' } },
        seed: 42,
        verified: { at: '2026-11-26T19:00:00Z', status: 'reproducible', nbkit: '0.1.0' },
        data: { pinned: 3, changed: 1, missing: 0 }
      })
    }));
    const state = new NotebookState(server.api(), 'a.ipynb', {}, new ManualClock());
    expect(state.repro).toEqual({
      pinned: false,
      environment: null,
      drift: [],
      seed: null,
      data: null,
      lastVerify: null
    });
    await state.lint();
    const repro = state.repro;
    expect(repro.pinned).toBe(true);
    expect(repro.data).toEqual({ pinned: 3, changed: 1, missing: 0 });
    expect(repro.environment?.python).toBe('3.11.7');
    expect(repro.seed).toBe(42);
    expect(repro.lastVerify).toEqual({
      status: 'reproducible',
      at: new Date('2026-11-26T19:00:00Z'),
      source: 'stamp'
    });
  });
});

describe('NotebookState verify', () => {
  function verifyServer(states: any[]) {
    let i = 0;
    return new FakeServer()
      .on('POST', 'verify', () => ({ status: 202, json: { job: 'j1', state: 'queued' } }))
      .on('GET', 'verify/j1', () => ({ json: states[Math.min(i++, states.length - 1)] }))
      .on('DELETE', 'verify/j1', () => ({ json: { job: 'j1', state: 'cancelled' } }));
  }

  it('polls a job with per-cell progress until it is done', async () => {
    const report = verifyReport('reproducible', [{ index: 0, status: 'match' }]);
    const server = verifyServer([
      { job: 'j1', state: 'running', progress: { cells: 3, done: 0, current: 0 } },
      { job: 'j1', state: 'running', progress: { cells: 3, done: 2, current: 2 } },
      { job: 'j1', state: 'done', progress: { cells: 3, done: 3, current: null }, report }
    ]);
    const clock = new ManualClock();
    const state = new NotebookState(server.api(), 'a.ipynb', { pollMs: 100 }, clock);
    const progress: string[] = [];
    state.onChange(() => {
      const p = state.verify.progress;
      progress.push(`${state.verify.status}:${p ? `${p.done}/${p.cells}` : '-'}`);
    });
    const started = clock.time;
    const run = state.startVerify();
    await flush();
    expect(state.verifying).toBe(true);
    await clock.advance(1000);
    await run;
    expect(progress).toEqual(['starting:-', 'queued:-', 'running:0/3', 'running:2/3', 'done:3/3']);
    expect(state.verifyResult?.status).toBe('reproducible');
    // three polls, 100 ms apart: finished at +200 ms
    expect(state.repro.lastVerify).toEqual({
      status: 'reproducible',
      at: new Date(started + 200),
      source: 'session'
    });
    expect(state.verifying).toBe(false);
  });

  it('sends the verifyEnv setting, and a per-run env over it', async () => {
    const report = verifyReport('reproducible', [{ index: 0, status: 'match' }]);
    const server = verifyServer([{ job: 'j1', state: 'done', report }]);
    const state = new NotebookState(server.api(), 'a.ipynb', { pollMs: 10, verifyEnv: 'pinned' }, new ManualClock());
    await state.startVerify();
    await state.startVerify('current');
    const plain = new NotebookState(server.api(), 'a.ipynb', { pollMs: 10 }, new ManualClock());
    await plain.startVerify();
    const bodies = server.requests.filter(r => r.method === 'POST').map(r => r.body);
    expect(bodies).toEqual([
      { path: 'a.ipynb', env: 'pinned' },
      { path: 'a.ipynb', env: 'current' },
      { path: 'a.ipynb' }
    ]);
  });

  it('shows a mismatch with its cells and drift', async () => {
    const report = verifyReport('mismatch', [
      { index: 1, status: 'mismatch', mime: 'text/plain', expected: '1', actual: '2', diff: '-1\n+2' }
    ]);
    report.notebooks[0].drift = [{ package: 'numpy', pinned: '1.26.0', installed: '2.0.0' }];
    const server = verifyServer([{ job: 'j1', state: 'done', report }]);
    const state = new NotebookState(server.api(), 'a.ipynb', { pollMs: 10 }, new ManualClock());
    await state.startVerify();
    expect(state.verifyResult?.status).toBe('mismatch');
    expect(problemCells(state.verifyResult).map(c => c.index)).toEqual([1]);
    expect(state.repro.drift).toEqual([{ package: 'numpy', pinned: '1.26.0', installed: '2.0.0' }]);
  });

  it('cancels a running job on the server and stops polling', async () => {
    const server = verifyServer([{ job: 'j1', state: 'running', progress: { cells: 5, done: 1, current: 1 } }]);
    const clock = new ManualClock();
    const state = new NotebookState(server.api(), 'a.ipynb', { pollMs: 100 }, clock);
    const run = state.startVerify();
    await clock.advance(150);
    const seen: string[] = [];
    state.onChange(() => seen.push(state.verify.status));
    await state.cancelVerify();
    await clock.advance(1000);
    await run;
    expect(seen).toEqual(['cancelling', 'cancelled']);
    expect(state.verify.status).toBe('cancelled');
    expect(state.verifying).toBe(false);
    const calls = server.requests.map(r => `${r.method} ${r.endpoint}`);
    expect(calls).toContain('DELETE verify/j1');
    // no polling after the cancel
    expect(calls.slice(calls.indexOf('DELETE verify/j1') + 1)).toEqual([]);
  });

  it('cancels on the server a job created after the user pressed cancel', async () => {
    let release: () => void = () => undefined;
    const server = new FakeServer()
      .on('POST', 'verify', () => new Promise(resolve => {
        release = () => resolve({ status: 202, json: { job: 'late' } });
      }))
      .on('DELETE', 'verify/late', () => ({ json: { job: 'late', state: 'cancelled' } }));
    const state = new NotebookState(server.api(), 'a.ipynb', {}, new ManualClock());
    const run = state.startVerify();
    await flush();
    await state.cancelVerify();
    expect(state.verify.status).toBe('cancelled');
    release();
    await run;
    await flush();
    expect(server.requests.map(r => `${r.method} ${r.endpoint}`)).toEqual(['POST verify', 'DELETE verify/late']);
  });

  it('shows the report when the job finished before the cancel reached it', async () => {
    const report = verifyReport('reproducible');
    const server = verifyServer([{ job: 'j1', state: 'running', progress: { cells: 2, done: 1, current: 1 } }]);
    server.on('DELETE', 'verify/j1', () => ({ json: { job: 'j1', state: 'done', report } }));
    const clock = new ManualClock();
    const state = new NotebookState(server.api(), 'a.ipynb', { pollMs: 100 }, clock);
    const run = state.startVerify();
    await clock.advance(50);
    await state.cancelVerify();
    await clock.advance(1000);
    await run;
    expect(state.verify.status).toBe('done');
    expect(state.verifyResult?.status).toBe('reproducible');
  });

  it('reports a job that fails, and a server that refuses to start one', async () => {
    const failing = verifyServer([{ job: 'j1', state: 'error', message: 'no kernel named python9' }]);
    const state = new NotebookState(failing.api(), 'a.ipynb', { pollMs: 10 }, new ManualClock());
    await state.startVerify();
    expect(state.verify.status).toBe('error');
    expect(state.verify.error).toBe('no kernel named python9');

    const busy = new FakeServer().on('POST', 'verify', () => ({
      status: 429,
      json: { message: '4 verify jobs are already waiting; try again later' }
    }));
    const state2 = new NotebookState(busy.api(), 'a.ipynb', {}, new ManualClock());
    await state2.startVerify();
    expect(state2.verify.status).toBe('error');
    expect(state2.verify.error).toContain('already waiting');
  });

  it('gives up when the job disappears (404)', async () => {
    const server = new FakeServer()
      .on('POST', 'verify', () => ({ status: 202, json: { job: 'gone' } }))
      .on('GET', 'verify/gone', () => ({ status: 404, json: { message: "no verify job 'gone'" } }));
    const state = new NotebookState(server.api(), 'a.ipynb', { pollMs: 10 }, new ManualClock());
    await state.startVerify();
    expect(state.verify.status).toBe('error');
    expect(state.verify.error).toContain('no verify job');
  });
});

describe('NotebookState pin', () => {
  it('pins and reports failures', async () => {
    let fail = false;
    const server = new FakeServer().on('POST', 'pin', () =>
      fail ? { status: 400, json: { message: 'a.ipynb: not valid JSON' } } : { json: { path: 'a.ipynb', nbkit: {} } }
    );
    const state = new NotebookState(server.api(), 'a.ipynb', {}, new ManualClock());
    expect(await state.pin(7)).toBe(true);
    expect(server.requests[0].body).toEqual({ path: 'a.ipynb', seed: 7 });
    expect(state.pinStatus).toBe('idle');
    fail = true;
    expect(await state.pin()).toBe(false);
    expect(state.pinStatus).toBe('error');
    expect(state.pinError).toBe('a.ipynb: not valid JSON');
  });

  it('stops notifying after dispose and drops pending lints', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({ json: lintReply() }));
    const clock = new ManualClock();
    const state = new NotebookState(server.api(), 'a.ipynb', {}, clock);
    let calls = 0;
    state.onChange(() => calls++);
    state.scheduleLint(() => ({}));
    state.dispose();
    await clock.advance(5000);
    expect(server.requests).toHaveLength(0);
    expect(calls).toBe(0);
  });
});

describe('NotebookState team policy', () => {
  it('asks GET policy for its path and keeps the verdict; a late reply of an older request is dropped', async () => {
    const replies: ((v: any) => void)[] = [];
    const server = new FakeServer().on(
      'GET',
      'policy?path=dir%2Fa%20b.ipynb',
      () => new Promise(resolve => replies.push(v => resolve({ json: v })))
    );
    const state = new NotebookState(server.api(), 'dir/a b.ipynb', {}, new ManualClock());
    expect(state.policyRequested).toBe(false);
    let changes = 0;
    state.onChange(() => changes++);
    const first = state.refreshPolicy();
    const second = state.refreshPolicy();
    expect(state.policyRequested).toBe(true);
    await flush();
    expect(replies).toHaveLength(2);
    replies[1](policyVerdict({ ok: true, violations: [] }));
    await second;
    replies[0](policyVerdict());
    await first;
    expect(state.policy!.ok).toBe(true); // the newer verdict stands
    expect(changes).toBe(1);
    expect(server.requests.map(r => `${r.method} ${r.endpoint}`)).toEqual([
      'GET policy?path=dir%2Fa%20b.ipynb',
      'GET policy?path=dir%2Fa%20b.ipynb'
    ]);
  });
});
