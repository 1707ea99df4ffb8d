/**
 * The panel's presentation decisions, tested as plain data: no element is created or queried.
 */
import { LayoutItem, VerifyCell, VerifyNotebook } from '../src/api';
import { CauseKind } from '../src/schema-types';
import { IDLE_VERIFY, IReproStatus, IVerifyState, groupFindings } from '../src/model';
import {
  causeChip,
  cellLabel,
  checklistView,
  diffBody,
  diffLineClass,
  diffView,
  dataText,
  environmentText,
  findingsView,
  lastVerifyText,
  lintBarView,
  policySourceText,
  policyView,
  progressText,
  reproView,
  verifyView
} from '../src/viewmodel';
import { finding, policyVerdict } from './fakes';

const NOW = new Date('2026-11-26T20:00:00Z');
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function item(over: Partial<LayoutItem> = {}): LayoutItem {
  return {
    section: 'summary',
    label: 'Executive summary',
    required: true,
    present: false,
    cell_index: null,
    insert_at: 1,
    heading: '## Executive summary',
    ...over
  };
}

function verifyState(over: Partial<IVerifyState> = {}): IVerifyState {
  return { ...IDLE_VERIFY, ...over };
}

function notebook(over: Partial<VerifyNotebook> = {}): VerifyNotebook {
  return {
    path: 'a.ipynb',
    status: 'reproducible',
    message: 'all outputs match',
    duration_s: 1.25,
    drift: [],
    cells: [],
    ...over
  };
}

const NO_REPRO: IReproStatus = { pinned: false, environment: null, drift: [], seed: null, lastVerify: null };

describe('cellLabel', () => {
  it('is 0-based, or the notebook', () => {
    expect(cellLabel(0)).toBe('cell 0');
    expect(cellLabel(null)).toBe('notebook');
    expect(cellLabel(undefined)).toBe('notebook');
  });
});

describe('lintBarView', () => {
  const counts = { error: 2, warning: 1, info: 0 };
  it('says what lint is doing', () => {
    const base = { error: null, counts, lintedAt: null };
    expect(lintBarView({ ...base, status: 'idle' }, NOW).text).toBe('Not linted yet');
    expect(lintBarView({ ...base, status: 'linting' }, NOW).text).toBe('Linting…');
    expect(lintBarView({ ...base, status: 'error', error: 'no such file' }, NOW).text).toBe(
      'Lint failed: no such file'
    );
    expect(lintBarView({ ...base, status: 'done', lintedAt: new Date(NOW.getTime() - 5 * 60000) }, NOW)).toEqual({
      status: 'done',
      text: '2 errors, 1 warnings, 0 info · linted 5 min ago'
    });
  });
});

describe('checklistView', () => {
  it('counts missing required sections in the title', () => {
    expect(checklistView([]).title).toBe('Layout');
    expect(checklistView([item({ present: true, cell_index: 2 })]).title).toBe('Layout · complete');
    expect(checklistView([item(), item({ section: 'data', required: false })]).title).toBe('Layout · 1 missing');
  });

  it('links present sections and offers Insert for missing ones', () => {
    const [present, missing, optional, nowhere] = checklistView([
      item({ section: 'title', label: 'Title', present: true, cell_index: 0, insert_at: null }),
      item(),
      item({ section: 'next_steps', label: 'Next steps', required: false, insert_at: 7 }),
      item({ section: 'data', label: 'Data', insert_at: null })
    ]).rows;
    expect(present).toMatchObject({
      mark: '✓',
      mod: 'jp-mod-present',
      ariaLabel: 'Title: present, go to cell 0',
      goto: { key: 'goto-section-title', cellIndex: 0 },
      insert: null
    });
    expect(missing).toMatchObject({
      mark: '✗',
      mod: 'jp-mod-missing',
      ariaLabel: 'Executive summary: missing',
      goto: null,
      insert: {
        key: 'insert-summary',
        ariaLabel: 'Insert the Executive summary section heading',
        title: 'Insert "## Executive summary" before cell 1'
      }
    });
    expect(optional).toMatchObject({ mark: '–', mod: 'jp-mod-optional', ariaLabel: 'Next steps: optional, absent' });
    expect(nowhere.insert).toBeNull();
  });
});

describe('findingsView', () => {
  it('titles groups and describes each finding', () => {
    const view = findingsView(
      groupFindings([
        finding(),
        finding({ code: 'NBH001', name: 'long-cell', severity: 'warning', cell_index: null, line: null, fixable: true })
      ]),
      'done'
    );
    expect(view.title).toBe('Findings · 2');
    expect(view.empty).toBeNull();
    expect(view.groups.map(g => [g.title, g.label])).toEqual([
      ['Errors (1)', 'Errors'],
      ['Warnings (1)', 'Warnings']
    ]);
    expect(view.groups[0].rows[0]).toMatchObject({
      key: 'finding-NBR004-3-2-0',
      ariaLabel: 'error NBR004 unseeded-random in cell 3, line 2: random used before seeding',
      title: 'NBR004 unseeded-random',
      where: 'cell 3, line 2'
    });
    expect(view.groups[1].rows[0]).toMatchObject({
      where: 'notebook',
      title: 'NBH001 long-cell (fixable with nbkit lint --fix)'
    });
  });

  it('says whether "no findings" is final', () => {
    expect(findingsView([], 'done')).toEqual({ title: 'Findings · 0', groups: [], empty: 'No findings.' });
    expect(findingsView([], 'linting').empty).toBe('No findings yet.');
  });
});

describe('reproView', () => {
  const idle = { status: 'idle' as const, error: null };
  const notVerifying = { verifying: false, status: 'idle' as const };

  it('summarises the environment', () => {
    expect(environmentText(NO_REPRO)).toBe('not pinned');
    expect(environmentText({ ...NO_REPRO, pinned: true })).toBe('pinned');
    expect(
      environmentText({ ...NO_REPRO, pinned: true, environment: { python: '3.11.7', packages: { numpy: '2.0' } } })
    ).toBe('pinned (Python 3.11.7, 1 packages)');
  });

  it('summarises the data pins', () => {
    expect(dataText({ pinned: 3, changed: 1, missing: 0 })).toBe('3 files pinned, 1 changed');
    expect(dataText({ pinned: 1, changed: 0, missing: 0 })).toBe('1 file pinned');
    expect(dataText({ pinned: 2, changed: 0, missing: 1 })).toBe('2 files pinned, 1 missing');
    const idle = { status: 'idle' as const, error: null };
    const notVerifying = { verifying: false, status: 'idle' as const };
    const changed = reproView({ ...NO_REPRO, data: { pinned: 3, changed: 1, missing: 0 } }, idle, notVerifying, NOW);
    expect(changed.data).toEqual({ key: 'data', label: 'Data', value: '3 files pinned, 1 changed', ok: false });
    const clean = reproView({ ...NO_REPRO, data: { pinned: 2, changed: 0, missing: 0 } }, idle, notVerifying, NOW);
    expect(clean.data?.ok).toBe(true);
    expect(reproView(NO_REPRO, idle, notVerifying, NOW).data).toBeNull();
  });

  it('describes the last verify', () => {
    expect(lastVerifyText(null, NOW)).toBe('never');
    expect(lastVerifyText({ status: 'mismatch', at: NOW, source: 'session' }, NOW)).toBe('Outputs differ, just now');
    expect(lastVerifyText({ status: 'weird', at: null, source: 'stamp' }, NOW)).toBe('weird');
  });

  it('marks rows good, bad or neutral and lists drift', () => {
    const view = reproView(
      {
        pinned: true,
        environment: null,
        drift: [{ package: 'numpy', pinned: '1.26.0', installed: null }],
        seed: 0,
        lastVerify: { status: 'reproducible', at: null, source: 'stamp' }
      },
      idle,
      notVerifying,
      NOW
    );
    expect([view.environment.ok, view.seed.ok, view.lastVerify.ok]).toEqual([true, true, true]);
    expect(view.seed.value).toBe('0');
    expect(view.drift).toEqual(['numpy: pinned 1.26.0, installed missing']);
    const none = reproView(NO_REPRO, idle, notVerifying, NOW);
    expect([none.environment.ok, none.seed.ok, none.lastVerify.ok]).toEqual([false, false, null]);
    expect(none.seed.value).toBe('not recorded');
    expect(none.drift).toEqual([]);
  });

  it('offers Pin, and Verify or Cancel', () => {
    expect(reproView(NO_REPRO, idle, notVerifying, NOW)).toMatchObject({
      pin: { label: 'Pin environment', disabled: false },
      pinError: null,
      verify: { kind: 'verify' }
    });
    expect(
      reproView(NO_REPRO, { status: 'pinning', error: null }, { verifying: true, status: 'running' }, NOW)
    ).toMatchObject({
      pin: { label: 'Pinning…', disabled: true },
      verify: { kind: 'cancel', label: 'Cancel verify', disabled: false }
    });
    expect(
      reproView(NO_REPRO, { status: 'error', error: 'read-only' }, { verifying: true, status: 'cancelling' }, NOW)
    ).toMatchObject({ pinError: 'Pin failed: read-only', verify: { kind: 'cancel', label: 'Cancelling…', disabled: true } });
  });
});

describe('verifyView', () => {
  it('is hidden before the first verify', () => {
    expect(verifyView(verifyState(), false, null)).toBeNull();
  });

  it('shows progress while a job runs', () => {
    expect(progressText(verifyState({ status: 'starting' }))).toBe('starting a fresh kernel');
    expect(progressText(verifyState({ status: 'queued' }))).toBe('waiting for a free slot');
    expect(progressText(verifyState({ status: 'running' }))).toBe('running');
    const running = verifyState({ status: 'running', progress: { cells: 6, done: 2, current: 2 } });
    expect(verifyView(running, true, null)).toEqual({
      kind: 'progress',
      max: 6,
      value: 2,
      text: '2 of 6 cells · running cell 2'
    });
    expect(
      verifyView(verifyState({ status: 'cancelling', progress: { cells: 0, done: 0, current: null } }), true, null)
    ).toEqual({ kind: 'progress', max: 1, value: undefined, text: 'cancelling: stopping the kernel…' });
  });

  it('reports cancellation and failure', () => {
    expect(verifyView(verifyState({ status: 'cancelled' }), false, null)).toEqual({
      kind: 'cancelled',
      cancelError: null
    });
    expect(verifyView(verifyState({ status: 'cancelled', error: 'HTTP 500' }), false, null)).toEqual({
      kind: 'cancelled',
      cancelError: 'Cancel failed: HTTP 500'
    });
    expect(verifyView(verifyState({ status: 'error', error: 'no kernel' }), false, null)).toEqual({
      kind: 'error',
      text: 'Verify could not run: no kernel'
    });
    expect(verifyView(verifyState({ status: 'done' }), false, null)).toEqual({ kind: 'no-report' });
  });

  it('gives the verdict and the cells that did not reproduce', () => {
    const cells: VerifyCell[] = [
      { index: 0, id: 'a', status: 'match' },
      { index: 1, id: 'b', status: 'mismatch', mime: 'text/plain', expected: '1', actual: '2', diff: '-1\n+2' },
      { index: 2, id: 'c', status: 'error', message: 'ZeroDivisionError' }
    ];
    const view = verifyView(
      verifyState({ status: 'done' }),
      false,
      notebook({ status: 'mismatch', message: '2 cells differ', duration_s: 2.25, cells })
    );
    expect(view).toMatchObject({
      kind: 'result',
      status: 'mismatch',
      ok: false,
      verdict: 'Outputs differ',
      detail: ' — 2 cells differ (2.3 s)'
    });
    expect(view?.kind === 'result' && view.diffs.map(d => d.head.text)).toEqual([
      'Cell 1: output differs (text/plain)',
      'Cell 2: error'
    ]);
    expect(verifyView(verifyState({ status: 'done' }), false, notebook())).toMatchObject({
      ok: true,
      diffs: [],
      notes: []
    });
  });

  it('groups the notes of matches that were not exact, as the text report does', () => {
    const cells: VerifyCell[] = [
      { index: 1, id: 'a', status: 'match', note: 'numpy 2 scalar repr' },
      { index: 2, id: 'b', status: 'match' },
      {
        index: 4,
        id: 'c',
        status: 'match',
        note: "same chart, rendered at a different size/dpi (10x10 -> 20x30); the figure's shape changed, so only its plot area was compared"
      },
      { index: 5, id: 'd', status: 'match', note: 'numpy 2 scalar repr; numpy float repr (0. vs 0.0)' },
      { index: 6, id: 'e', status: 'mismatch', note: 'numpy 2 scalar repr', diff: '-1\n+2' }
    ];
    const view = verifyView(verifyState({ status: 'done' }), false, notebook({ status: 'mismatch', cells }));
    expect(view?.kind === 'result' && view.notes).toEqual([
      'Matched, not exactly: numpy 2 scalar repr (cells 1, 5)',
      'Matched, not exactly: same chart, rendered at a different size/dpi (cell 4)',
      'Matched, not exactly: numpy float repr (cell 5)'
    ]);
  });
});

describe('diffView', () => {
  it('classifies unified diff lines', () => {
    expect(['--- a', '+++ b', '@@ -1 +1 @@', '+x', '-y', ' z'].map(diffLineClass)).toEqual([
      'jp-nbkit-diffhead',
      'jp-nbkit-diffhead',
      'jp-nbkit-diffhead',
      'jp-nbkit-add',
      'jp-nbkit-del',
      ''
    ]);
  });

  it('shows server-decoded images side by side, then their difference', () => {
    const cell: VerifyCell = {
      index: 4,
      id: null,
      status: 'mismatch',
      mime: 'image/png',
      message: '3% of pixels differ',
      images: { expected: PNG, actual: null, diff: PNG }
    };
    const view = diffView(cell);
    expect(view.note).toBeNull(); // the images body shows the message itself
    expect(view.body).toEqual({
      kind: 'images',
      sides: [
        { label: 'Expected', src: `data:image/png;base64,${PNG}`, alt: 'Expected output of cell 4' },
        { label: 'Actual', src: null, alt: 'Actual output of cell 4' }
      ],
      difference: { label: 'Difference', src: `data:image/png;base64,${PNG}`, alt: 'Difference output of cell 4' },
      message: '3% of pixels differ'
    });
    expect(view.head).toEqual({ key: 'diff-4', text: 'Cell 4: output differs (image/png)', ariaLabel: 'Go to cell 4: mismatch' });
  });

  it('shows base64 images from the report, a text diff, or both texts', () => {
    const pair = diffBody({ index: 1, id: null, status: 'mismatch', mime: 'image/jpeg', expected: PNG, actual: PNG });
    expect(pair.kind).toBe('image-pair');
    const svg = diffBody({ index: 1, id: null, status: 'mismatch', mime: 'image/svg+xml', expected: PNG, actual: PNG });
    expect(svg.kind).toBe('text');
    const diff = diffBody({ index: 1, id: null, status: 'mismatch', diff: '-1\n+2' });
    expect(diff).toEqual({
      kind: 'diff',
      lines: [
        { text: '-1\n', className: 'jp-nbkit-del' },
        { text: '+2\n', className: 'jp-nbkit-add' }
      ]
    });
    const error = diffView({ index: 2, id: null, status: 'error', message: 'ZeroDivisionError' });
    expect(error.note).toBe('ZeroDivisionError');
    expect(error.body).toEqual({
      kind: 'text',
      sides: [
        { label: 'Expected', text: 'ZeroDivisionError' },
        { label: 'Actual', text: 'ZeroDivisionError' }
      ]
    });
  });

  it('shows the cause of a mismatching cell as a chip (none in a nbkit.verify/1 report)', () => {
    const cell: VerifyCell = {
      index: 3,
      id: null,
      status: 'mismatch',
      diff: '-1\n+2',
      cause: {
        kind: 'randomness',
        summary: 'an unseeded random generator feeds this cell',
        evidence: ['two fresh runs disagree', 'NBR004: np.random.normal is used before numpy is seeded'],
        fix: 'seed every generator before first use'
      }
    };
    expect(diffView(cell).cause).toEqual({
      kind: 'randomness',
      label: 'Randomness',
      className: 'jp-nbkit-cause jp-nbkit-cause-randomness',
      summary: 'an unseeded random generator feeds this cell',
      title: 'two fresh runs disagree\nNBR004: np.random.normal is used before numpy is seeded\nFix: seed every generator before first use',
      fix: 'seed every generator before first use'
    });
    const follows = causeChip({
      index: 5,
      id: null,
      status: 'error',
      consequence_of: 2,
      cause: { kind: 'hidden-state', summary: 'follows from the failure of cell 2', evidence: [], fix: 'fix cell 2 first' }
    });
    expect(follows?.summary).toBe('follows from the failure of cell 2 (fix cell 2 first)');
    expect(diffView({ index: 1, id: null, status: 'mismatch', diff: '-1\n+2' }).cause).toBeNull();
  });

  it('offers a one-click fix for the causes that have one', () => {
    const withCause = (kind: CauseKind): VerifyCell => ({
      index: 2,
      id: 'x',
      status: 'mismatch',
      diff: '-1\n+2',
      cause: { kind, summary: 's', evidence: [], fix: 'f' }
    });
    expect(diffView(withCause('randomness')).fix?.action).toBe('seed');
    expect(diffView(withCause('clock')).fix?.action).toBe('ignore-output');
    expect(diffView(withCause('library-drift')).fix?.action).toBe('verify-pinned');
    const noFix: CauseKind[] = ['stale-output', 'hidden-state', 'data-changed', 'missing-resource', 'hash-order', 'unknown'];
    for (const kind of noFix) {
      expect(diffView(withCause(kind)).fix).toBeNull();
    }
    expect(diffView({ index: 1, id: null, status: 'mismatch', diff: '-1\n+2' }).fix).toBeNull();
  });
});

describe('policyView', () => {
  it('shows nothing without a verdict or when no policy applies', () => {
    expect(policyView(null)).toBeNull();
    expect(policyView(policyVerdict({ configured: false, ok: true, violations: [], sources: [] }))).toBeNull();
  });

  it('names every violation and offers each fix as a button, with the command as its title', () => {
    const view = policyView(policyVerdict())!;
    expect(view.kind).toBe('violations');
    expect(view.text).toBe(
      'This notebook does not meet the team policy: missing Findings, environment not pinned'
    );
    expect(view.source).toBe('policy from pyproject.toml');
    expect(view.sourceTitle).toBe('pyproject.toml: required-sections, require-pinned-environment');
    expect(view.fixes.map(f => [f.key, f.label])).toEqual([
      ['policy-fix-insert-section:findings', 'Insert Findings'],
      ['policy-fix-pin', 'Pin environment']
    ]);
    expect(view.fixes[0].ariaLabel).toBe('Fix "missing Findings": Insert Findings');
    expect(view.fixes[1].title).toBe('Pin environment (in a terminal: nbkit pin a.ipynb)');
  });

  it('says where the policy came from: the server, the project, or both', () => {
    const server = { kind: 'server', path: null, label: 'server configuration', keys: ['require-seed'] };
    const project = { kind: 'pyproject', path: 'sub/pyproject.toml', label: 'pyproject.toml', keys: ['require-seed'] };
    expect(policySourceText([server as any])).toBe('policy from server configuration');
    expect(policySourceText([server as any, project as any])).toBe(
      'policy from server configuration and pyproject.toml'
    );
    expect(policySourceText([])).toBe('');
    expect(policyView(policyVerdict({ sources: [server, project] }))!.sourceTitle).toBe(
      'server configuration: require-seed; sub/pyproject.toml: require-seed'
    );
  });

  it('a met policy is a quiet line; a policy that could not be checked says why', () => {
    const ok = policyView(policyVerdict({ ok: true, violations: [] }))!;
    expect(ok.kind).toBe('ok');
    expect(ok.text).toBe('Meets the team policy');
    expect(ok.fixes).toEqual([]);
    const error = policyView(
      policyVerdict({ ok: false, violations: [], configured: false, sources: [], error: 'NbkitService.policy: bad' })
    )!;
    expect(error.kind).toBe('error');
    expect(error.text).toBe('The team policy could not be checked: NbkitService.policy: bad');
  });

  it('offers one button per fix action', () => {
    const v = policyVerdict().violations[0];
    const twice = policyVerdict({
      violations: [v, { ...v, message: 'missing Data', section: 'data' }]
    });
    expect(policyView(twice)!.fixes).toHaveLength(1);
  });
});
