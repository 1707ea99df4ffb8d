import { Widget } from '@lumino/widgets';

import { IPanelActions, NbkitPanel } from '../src/panel';
import { NotebookState } from '../src/model';
import { FakeServer, ManualClock, lintReply, policyVerdict } from './fakes';

function actions(): IPanelActions & { calls: any[] } {
  const calls: any[] = [];
  return {
    calls,
    selectFinding: f => calls.push(['selectFinding', f.code]),
    selectCell: (i, id) => calls.push(['selectCell', i, id ?? null]),
    insertSection: item => calls.push(['insertSection', item.section]),
    lint: () => calls.push(['lint']),
    verify: () => calls.push(['verify']),
    cancelVerify: () => calls.push(['cancelVerify']),
    pin: () => calls.push(['pin']),
    policyFix: v => calls.push(['policyFix', v.fix.action]),
    causeFix: (action, i) => calls.push(['causeFix', action, i])
  };
}

async function setup(reply: any = lintReply(), verifyStates: any[] = []) {
  let i = 0;
  const server = new FakeServer()
    .on('POST', 'lint', () => ({ json: reply }))
    .on('POST', 'verify', () => ({ status: 202, json: { job: 'j1' } }))
    .on('GET', 'verify/j1', () => ({ json: verifyStates[Math.min(i++, verifyStates.length - 1)] }));
  const clock = new ManualClock();
  const state = new NotebookState(server.api(), 'a.ipynb', { pollMs: 10 }, clock);
  const acts = actions();
  const panel = new NbkitPanel(acts);
  Widget.attach(panel, document.body);
  panel.state = state;
  await state.lint();
  return { panel, state, acts, clock, node: panel.node };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('NbkitPanel', () => {
  it('asks for a notebook when none is active', () => {
    const panel = new NbkitPanel(actions());
    Widget.attach(panel, document.body);
    expect(panel.node.textContent).toContain('Open a notebook');
    expect(panel.node.getAttribute('aria-label')).toBe('nbkit notebook checks');
    panel.dispose();
  });

  it('renders the layout checklist with insert buttons for missing sections', async () => {
    const { node, acts, panel } = await setup();
    const rows = Array.from(node.querySelectorAll('.jp-nbkit-check'));
    expect(rows.map(r => r.getAttribute('data-section'))).toEqual(['title', 'summary', 'next_steps']);
    expect(rows[0].classList.contains('jp-mod-present')).toBe(true);
    expect(rows[1].classList.contains('jp-mod-missing')).toBe(true);
    const insert = node.querySelector('[data-key="insert-summary"]') as HTMLButtonElement;
    expect(insert.getAttribute('aria-label')).toBe('Insert the Executive summary section heading');
    insert.click();
    expect(acts.calls).toEqual([['insertSection', 'summary']]);
    expect(node.querySelector('.jp-nbkit-layout summary')!.textContent).toBe('Layout · 1 missing');
    panel.dispose();
  });

  it('groups findings by severity; a click selects the finding', async () => {
    const { node, acts, panel } = await setup();
    const groups = Array.from(node.querySelectorAll('.jp-nbkit-group-title')).map(g => g.textContent);
    expect(groups).toEqual(['Errors (2)', 'Warnings (1)', 'Info (1)']);
    const buttons = Array.from(node.querySelectorAll('button.jp-nbkit-finding')) as HTMLButtonElement[];
    expect(buttons.map(b => b.getAttribute('data-code'))).toEqual(['NBL002', 'NBR004', 'NBH001', 'NBH009']);
    expect(buttons[1].getAttribute('aria-label')).toBe(
      'error NBR004 unseeded-random in cell 3, line 2: random used before seeding'
    );
    buttons[1].click();
    expect(acts.calls).toEqual([['selectFinding', 'NBR004']]);
    panel.dispose();
  });

  it('keeps focus on the same control across re-renders', async () => {
    const { node, state, panel } = await setup();
    const button = node.querySelector('[data-code="NBR004"]') as HTMLButtonElement;
    button.focus();
    await state.lint();
    const again = node.querySelector('[data-code="NBR004"]') as HTMLButtonElement;
    expect(again).not.toBe(button);
    expect(document.activeElement).toBe(again);
    panel.dispose();
  });

  it('shows the reproducibility status', async () => {
    const { node, panel } = await setup(
      lintReply({ pinned: true, environment: { python: '3.11.7', packages: { numpy: '2.0' } }, seed: 42 })
    );
    expect(node.querySelector('.jp-nbkit-env dd')!.textContent).toBe('pinned (Python 3.11.7, 1 packages)');
    expect(node.querySelector('.jp-nbkit-seed dd')!.textContent).toBe('42');
    expect(node.querySelector('.jp-nbkit-last-verify dd')!.textContent).toBe('never');
    expect(node.querySelector('.jp-nbkit-data')).toBeNull(); // no data pins: no data row
    panel.dispose();
  });

  it('shows the data pins in the reproducibility section', async () => {
    const { node, panel } = await setup(lintReply({ pinned: true, data: { pinned: 3, changed: 1, missing: 0 } }));
    const row = node.querySelector('.jp-nbkit-data')!;
    expect(row.querySelector('dt')!.textContent).toBe('Data');
    expect(row.querySelector('dd')!.textContent).toBe('3 files pinned, 1 changed');
    expect(row.querySelector('dd')!.classList.contains('jp-mod-bad')).toBe(true);
    panel.dispose();
  });

  it('shows verify progress, a cancel button, and then the mismatching cells', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const report = {
      schema: 'nbkit.verify/1',
      notebooks: [
        {
          path: 'a.ipynb',
          status: 'mismatch',
          message: '2 cells differ',
          duration_s: 2.25,
          drift: [],
          cells: [
            {
              index: 1,
              status: 'mismatch',
              mime: 'text/plain',
              expected: '1',
              actual: '2',
              diff: '--- expected\n+++ actual\n-1\n+2',
              cause: { kind: 'randomness', summary: 'an unseeded generator feeds this cell', evidence: [], fix: 'seed it' }
            },
            { index: 4, status: 'mismatch', mime: 'image/png', expected: '<image>', actual: '<image>', images: { expected: png, actual: png, diff: png } }
          ]
        }
      ],
      summary: { notebooks: 1, mismatch: 1 }
    };
    const { node, state, acts, clock, panel } = await setup(lintReply(), [
      { job: 'j1', state: 'running', progress: { cells: 6, done: 2, current: 2 } },
      { job: 'j1', state: 'done', progress: { cells: 6, done: 6, current: null }, report }
    ]);
    (node.querySelector('[data-key="verify"]') as HTMLButtonElement).click();
    expect(acts.calls).toEqual([['verify']]);
    const run = state.startVerify();
    await clock.advance(1);
    expect(node.querySelector('.jp-nbkit-progress-text')!.textContent).toBe('2 of 6 cells · running cell 2');
    const progress = node.querySelector('progress') as HTMLProgressElement;
    expect(progress.getAttribute('max')).toBe('6');
    expect(progress.getAttribute('value')).toBe('2');
    (node.querySelector('[data-key="cancel"]') as HTMLButtonElement).click();
    expect(acts.calls[1]).toEqual(['cancelVerify']);
    await clock.advance(50);
    await run;
    expect(node.querySelector('.jp-nbkit-verify-result')!.getAttribute('data-status')).toBe('mismatch');
    expect(node.querySelector('.jp-nbkit-verify-result')!.textContent).toBe('Outputs differ — 2 cells differ (2.3 s)');
    const items = Array.from(node.querySelectorAll('.jp-nbkit-diff-item'));
    expect(items.map(i => i.getAttribute('data-index'))).toEqual(['1', '4']);
    expect(items[0].querySelector('.jp-nbkit-del')!.textContent).toBe('-1\n');
    expect(items[0].querySelector('.jp-nbkit-add')!.textContent).toBe('+2\n');
    const imgs = Array.from(items[1].querySelectorAll('img'));
    expect(imgs.map(i => i.getAttribute('alt'))).toEqual([
      'Expected output of cell 4',
      'Actual output of cell 4',
      'Difference output of cell 4'
    ]);
    expect(imgs[0].getAttribute('src')).toBe(`data:image/png;base64,${png}`);
    (items[1].querySelector('a') as HTMLAnchorElement).click();
    expect(acts.calls[2]).toEqual(['selectCell', 4, null]);
    // the randomness cause offers its one-click fix; the image cell (no cause) none
    const fix = items[0].querySelector('.jp-nbkit-cause-fix') as HTMLButtonElement;
    expect(fix.textContent).toBe('Insert %nbkit seed');
    expect(items[1].querySelector('.jp-nbkit-cause-fix')).toBeNull();
    fix.click();
    expect(acts.calls[3]).toEqual(['causeFix', 'seed', 1]);
    expect(node.querySelector('.jp-nbkit-last-verify dd')!.textContent).toBe('Outputs differ, just now');
    panel.dispose();
  });

  it('rebuilds only the parts whose view changed', async () => {
    const { node, state, panel } = await setup();
    const findings = node.querySelector('[data-key="section-findings"]');
    const repro = node.querySelector('[data-key="section-repro"]');
    const pin = node.querySelector('[data-key="pin"]') as HTMLButtonElement;
    pin.focus();
    (node.querySelector('[data-key="group-info"]') as HTMLDetailsElement).open = false;
    panel.render(); // nothing changed: every part is kept
    expect(node.querySelector('[data-key="section-findings"]')).toBe(findings);
    expect(node.querySelector('[data-key="section-repro"]')).toBe(repro);
    expect(document.activeElement).toBe(pin);
    const pinning = state.pin(); // only the reproducibility part changes (and back)
    expect(node.querySelector('[data-key="section-findings"]')).toBe(findings);
    expect(node.querySelector('[data-key="section-repro"]')).not.toBe(repro);
    expect((node.querySelector('[data-key="pin"]') as HTMLButtonElement).textContent).toBe('Pinning…');
    await pinning;
    await state.lint(); // a new lint reply rebuilds the findings, keeping closed groups closed
    expect(node.querySelector('[data-key="section-findings"]')).not.toBe(findings);
    expect((node.querySelector('[data-key="group-info"]') as HTMLDetailsElement).open).toBe(false);
    expect(Array.from(node.children).map(c => c.getAttribute('data-key') ?? c.className)).toEqual([
      'jp-nbkit-header',
      'jp-nbkit-lintbar',
      'section-layout',
      'section-findings',
      'section-repro'
    ]);
    panel.dispose();
  });

  it('every button has an accessible name', async () => {
    const { node, panel } = await setup();
    for (const b of Array.from(node.querySelectorAll('button'))) {
      expect(b.getAttribute('aria-label') || b.textContent).toBeTruthy();
    }
    panel.dispose();
  });
});

describe('NbkitPanel policy banner', () => {
  async function withPolicy(verdicts: any[]) {
    let i = 0;
    const server = new FakeServer()
      .on('POST', 'lint', () => ({ json: lintReply() }))
      .on('GET', 'policy?path=a.ipynb', () => ({ json: verdicts[Math.min(i++, verdicts.length - 1)] }));
    const state = new NotebookState(server.api(), 'a.ipynb', {}, new ManualClock());
    const acts = actions();
    const panel = new NbkitPanel(acts);
    Widget.attach(panel, document.body);
    panel.state = state;
    await state.lint();
    await state.refreshPolicy();
    return { panel, state, acts, node: panel.node, server };
  }

  it('shows the violations under the header, with fix buttons and the policy source', async () => {
    const { node, acts, panel } = await withPolicy([policyVerdict()]);
    const banner = node.querySelector('.jp-nbkit-policy-banner') as HTMLElement;
    expect(banner).not.toBeNull();
    expect(node.children[1]).toBe(banner); // right under the header
    expect(banner.getAttribute('aria-label')).toBe('Team policy');
    expect(banner.querySelector('.jp-nbkit-policy-text')!.textContent).toBe(
      'This notebook does not meet the team policy: missing Findings, environment not pinned'
    );
    expect(banner.querySelector('.jp-nbkit-policy-from')!.textContent).toBe('policy from pyproject.toml');
    const fixes = Array.from(banner.querySelectorAll('button.jp-nbkit-policy-fix')) as HTMLButtonElement[];
    expect(fixes.map(b => b.textContent)).toEqual(['Insert Findings', 'Pin environment']);
    expect(fixes.every(b => b.tabIndex === 0 && b.type === 'button')).toBe(true); // keyboard reachable
    fixes[0].click();
    fixes[1].click();
    expect(acts.calls).toEqual([
      ['policyFix', 'insert-section:findings'],
      ['policyFix', 'pin']
    ]);
    panel.dispose();
  });

  it('goes away when the next verdict is met, leaving a quiet line', async () => {
    const { node, state, panel } = await withPolicy([policyVerdict(), policyVerdict({ ok: true, violations: [] })]);
    expect(node.querySelector('.jp-nbkit-policy-banner')).not.toBeNull();
    await state.refreshPolicy();
    expect(node.querySelector('.jp-nbkit-policy-banner')).toBeNull();
    expect(node.querySelector('.jp-nbkit-policy-ok')!.textContent).toBe(
      '✓ Meets the team policy · policy from pyproject.toml'
    );
    panel.dispose();
  });

  it('shows nothing when no policy applies or the server has no policy route', async () => {
    const { node, panel } = await withPolicy([policyVerdict({ configured: false, ok: true, violations: [], sources: [] })]);
    expect(node.querySelector('.jp-nbkit-policy')).toBeNull();
    panel.dispose();
    const server = new FakeServer().on('POST', 'lint', () => ({ json: lintReply() }));
    const state = new NotebookState(server.api(), 'a.ipynb', {}, new ManualClock());
    const other = new NbkitPanel(actions());
    Widget.attach(other, document.body);
    other.state = state;
    await state.refreshPolicy(); // 404 from an older server
    expect(state.policy).toBeNull();
    expect(state.policyError).toContain('no route');
    expect(other.node.querySelector('.jp-nbkit-policy')).toBeNull();
    other.dispose();
  });
});
