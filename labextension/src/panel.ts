/**
 * The sidebar widget: renders a NotebookState and forwards clicks to the actions it is given.
 * It holds no state of its own beyond which notebook it shows.
 */
import { Widget } from '@lumino/widgets';

import { Finding, LayoutItem, VerifyCell } from './api';
import {
  NotebookState,
  imageSource,
  isImageMime,
  problemCells,
  timeAgo
} from './model';

/** What the panel's controls do (supplied by the plugin; fakes in tests). */
export interface IPanelActions {
  selectFinding(finding: Finding): void;
  selectCell(index: number, id?: string | null): void;
  insertSection(item: LayoutItem): void;
  lint(): void;
  verify(): void;
  cancelVerify(): void;
  pin(): void;
}

type Child = Node | string | null | undefined | false;

/** Create an element: h('div', {class: 'x', 'aria-label': 'y'}, child, ...). */
function h(
  tag: string,
  attrs: { [key: string]: string | number | boolean | undefined | null } = {},
  ...children: (Child | Child[])[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

function button(
  label: string,
  attrs: { [key: string]: string | boolean | undefined },
  onClick: () => void
): HTMLButtonElement {
  const el = h(
    'button',
    { type: 'button', class: 'jp-nbkit-button', ...attrs },
    label
  ) as HTMLButtonElement;
  el.addEventListener('click', event => {
    event.preventDefault();
    onClick();
  });
  return el;
}

const SEVERITY_TITLE: { [key: string]: string } = {
  error: 'Errors',
  warning: 'Warnings',
  info: 'Info'
};

const VERIFY_TEXT: { [key: string]: string } = {
  reproducible: 'Reproducible',
  mismatch: 'Outputs differ',
  failed: 'Fails in a fresh kernel',
  nondeterministic: 'Not deterministic',
  timeout: 'Timed out',
  invalid: 'Not a usable notebook'
};

/** Whether the text is base64 data (an image as nbformat stores it), not a description. */
function looksLikeBase64(text: string | null | undefined): boolean {
  return !!text && text.length > 16 && /^[A-Za-z0-9+/=\s]+$/.test(text);
}

function cellLabel(index: number | null | undefined): string {
  // 0-based, as in nbkit's own messages ("cell 7" is cells[7])
  return index === null || index === undefined ? 'notebook' : `cell ${index}`;
}

/** The nbkit sidebar. */
export class NbkitPanel extends Widget {
  constructor(private readonly _actions: IPanelActions) {
    super();
    this.id = 'nbkit-panel';
    this.addClass('jp-nbkit-panel');
    this.title.caption = 'nbkit: notebook quality and reproducibility';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'nbkit notebook checks');
    this.node.tabIndex = -1;
    this._clock = setInterval(() => this.render(), 30000);
    this.render();
  }

  /** The notebook state shown (null: no notebook is active). */
  get state(): NotebookState | null {
    return this._state;
  }
  set state(state: NotebookState | null) {
    if (state === this._state) {
      return;
    }
    this._unlisten?.();
    this._unlisten = null;
    this._state = state;
    if (state) {
      this._unlisten = state.onChange(() => this.render());
    }
    this.render();
  }

  /** A label for the notebook shown (its file name). */
  notebookName = '';

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    clearInterval(this._clock);
    this._unlisten?.();
    super.dispose();
  }

  /** Rebuild the DOM from the state, keeping focus and open/closed groups where they were. */
  render(): void {
    if (this.isDisposed) {
      return;
    }
    const focused = (document.activeElement as HTMLElement | null)?.closest?.(
      '[data-key]'
    );
    const focusKey =
      focused && this.node.contains(focused)
        ? focused.getAttribute('data-key')
        : null;
    const scroll = this.node.scrollTop;
    for (const details of Array.from(
      this.node.querySelectorAll('details[data-key]')
    )) {
      this._closed.set(
        details.getAttribute('data-key')!,
        !(details as HTMLDetailsElement).open
      );
    }

    this.node.replaceChildren(
      ...this._content().filter((el): el is HTMLElement => el !== null)
    );

    for (const details of Array.from(
      this.node.querySelectorAll('details[data-key]')
    )) {
      const key = details.getAttribute('data-key')!;
      if (this._closed.has(key)) {
        (details as HTMLDetailsElement).open = !this._closed.get(key);
      }
    }
    if (focusKey) {
      const target = this.node.querySelector(
        `[data-key="${CSS.escape(focusKey)}"]`
      ) as HTMLElement | null;
      target?.focus();
    }
    this.node.scrollTop = scroll;
  }

  private _content(): (HTMLElement | null)[] {
    const state = this._state;
    const header = h(
      'header',
      { class: 'jp-nbkit-header' },
      h('h2', { class: 'jp-nbkit-title' }, 'nbkit'),
      state ? h('span', { class: 'jp-nbkit-notebook', title: state.path }, this.notebookName || state.path) : null
    );
    if (!state) {
      return [
        header,
        h(
          'p',
          { class: 'jp-nbkit-empty' },
          'Open a notebook to see its layout, lint findings and reproducibility status.'
        )
      ];
    }
    return [
      header,
      this._lintBar(state),
      this._checklist(state),
      this._findings(state),
      this._repro(state),
      this._verifyView(state)
    ];
  }

  private _lintBar(state: NotebookState): HTMLElement {
    let text: string;
    switch (state.lintStatus) {
      case 'linting':
        text = 'Linting…';
        break;
      case 'error':
        text = `Lint failed: ${state.lintError}`;
        break;
      case 'done': {
        const c = state.counts;
        const when = state.lintedAt ? timeAgo(state.lintedAt, state.now()) : '';
        text = `${c.error} errors, ${c.warning} warnings, ${c.info} info · linted ${when}`;
        break;
      }
      default:
        text = 'Not linted yet';
    }
    return h(
      'div',
      { class: 'jp-nbkit-lintbar' },
      h(
        'span',
        {
          class: `jp-nbkit-lintstatus jp-nbkit-lint-${state.lintStatus}`,
          role: 'status',
          'aria-live': 'polite'
        },
        text
      ),
      button(
        'Lint',
        {
          'aria-label': 'Lint the notebook now',
          title: 'Lint the notebook now',
          'data-key': 'lint-now',
          class: 'jp-nbkit-button jp-nbkit-lint-now'
        },
        () => this._actions.lint()
      )
    );
  }

  private _section(
    key: string,
    title: string,
    ...body: (Child | Child[])[]
  ): HTMLElement {
    return h(
      'details',
      { class: `jp-nbkit-section jp-nbkit-${key}`, 'data-key': `section-${key}`, open: true },
      h('summary', { class: 'jp-nbkit-section-title' }, title),
      ...body
    );
  }

  private _checklist(state: NotebookState): HTMLElement {
    const items = state.layout;
    const missing = items.filter(i => i.required && !i.present).length;
    const title = items.length
      ? `Layout · ${missing ? `${missing} missing` : 'complete'}`
      : 'Layout';
    const list = h(
      'ul',
      { class: 'jp-nbkit-checklist', 'aria-label': 'Layout checklist' },
      items.map(item => {
        const mark = item.present ? '✓' : item.required ? '✗' : '–';
        const status = item.present
          ? 'present'
          : item.required
            ? 'missing'
            : 'optional, absent';
        const row = h(
          'li',
          {
            class: `jp-nbkit-check ${item.present ? 'jp-mod-present' : item.required ? 'jp-mod-missing' : 'jp-mod-optional'}`,
            'data-section': item.section
          },
          h('span', { class: 'jp-nbkit-mark', 'aria-hidden': 'true' }, mark),
          item.present && item.cell_index !== null
            ? h(
                'a',
                {
                  href: '#',
                  class: 'jp-nbkit-check-label',
                  'data-key': `goto-section-${item.section}`,
                  'aria-label': `${item.label}: ${status}, go to ${cellLabel(item.cell_index)}`
                },
                item.label
              )
            : h(
                'span',
                {
                  class: 'jp-nbkit-check-label',
                  'aria-label': `${item.label}: ${status}`
                },
                item.label
              )
        );
        const link = row.querySelector('a');
        link?.addEventListener('click', event => {
          event.preventDefault();
          this._actions.selectCell(item.cell_index!);
        });
        if (!item.present && item.insert_at !== null) {
          row.append(
            button(
              'Insert',
              {
                class: 'jp-nbkit-button jp-nbkit-insert',
                'aria-label': `Insert the ${item.label} section heading`,
                title: `Insert "${item.heading}" before ${cellLabel(item.insert_at)}`,
                'data-key': `insert-${item.section}`
              },
              () => this._actions.insertSection(item)
            )
          );
        }
        return row;
      })
    );
    return this._section(
      'layout',
      title,
      items.length ? list : h('p', { class: 'jp-nbkit-muted' }, 'No layout information yet.')
    );
  }

  private _findings(state: NotebookState): HTMLElement {
    const groups = state.groups;
    const total = state.findings.length;
    const body = groups.length
      ? groups.map(group =>
          h(
            'details',
            {
              class: `jp-nbkit-group jp-nbkit-severity-${group.severity}`,
              'data-key': `group-${group.severity}`,
              open: true
            },
            h(
              'summary',
              { class: 'jp-nbkit-group-title' },
              `${SEVERITY_TITLE[group.severity]} (${group.findings.length})`
            ),
            h(
              'ul',
              {
                class: 'jp-nbkit-findings',
                'aria-label': SEVERITY_TITLE[group.severity]
              },
              group.findings.map((f, i) => {
                const where =
                  cellLabel(f.cell_index) + (f.line ? `, line ${f.line}` : '');
                const b = button(
                  '',
                  {
                    class: `jp-nbkit-finding jp-nbkit-severity-${f.severity}`,
                    'aria-label': `${f.severity} ${f.code} ${f.name} in ${where}: ${f.message}`,
                    title: `${f.code} ${f.name}${f.fixable ? ' (fixable with nbkit lint --fix)' : ''}`,
                    'data-key': `finding-${f.code}-${f.cell_index}-${f.line}-${i}`,
                    'data-code': f.code,
                    'data-cell-index':
                      f.cell_index === null ? undefined : String(f.cell_index)
                  },
                  () => this._actions.selectFinding(f)
                );
                b.append(
                  h('span', { class: 'jp-nbkit-code' }, f.code),
                  h('span', { class: 'jp-nbkit-message' }, f.message),
                  h('span', { class: 'jp-nbkit-where' }, where)
                );
                return h('li', {}, b);
              })
            )
          )
        )
      : [
          h(
            'p',
            { class: 'jp-nbkit-muted jp-nbkit-clean' },
            state.lintStatus === 'done' ? 'No findings.' : 'No findings yet.'
          )
        ];
    return this._section('findings', `Findings · ${total}`, ...body);
  }

  private _repro(state: NotebookState): HTMLElement {
    const repro = state.repro;
    const env = repro.environment;
    const envText = repro.pinned
      ? 'pinned' +
        (env
          ? ` (${[env.python ? `Python ${env.python}` : '', env.packages ? `${Object.keys(env.packages).length} packages` : ''].filter(Boolean).join(', ')})`
          : '')
      : 'not pinned';
    const driftRows = repro.drift.map(d =>
      h(
        'li',
        {},
        `${d.package}: pinned ${d.pinned ?? '—'}, installed ${d.installed ?? 'missing'}`
      )
    );
    const last = repro.lastVerify;
    const lastText = last
      ? `${VERIFY_TEXT[last.status] ?? last.status}` +
        (last.at ? `, ${timeAgo(last.at, state.now())}` : '')
      : 'never';
    const row = (key: string, label: string, value: string, ok: boolean | null) =>
      h(
        'div',
        { class: `jp-nbkit-row jp-nbkit-${key}` },
        h('dt', {}, label),
        h(
          'dd',
          {
            class: ok === null ? '' : ok ? 'jp-mod-ok' : 'jp-mod-bad'
          },
          value
        )
      );
    const pinning = state.pinStatus === 'pinning';
    return this._section(
      'repro',
      'Reproducibility',
      h(
        'dl',
        { class: 'jp-nbkit-status' },
        row('env', 'Environment', envText, repro.pinned),
        repro.drift.length
          ? h(
              'div',
              { class: 'jp-nbkit-row jp-nbkit-drift' },
              h('dt', {}, 'Drift'),
              h('dd', { class: 'jp-mod-bad' }, h('ul', { 'aria-label': 'Environment drift' }, driftRows))
            )
          : null,
        row(
          'seed',
          'Seed',
          repro.seed === null ? 'not recorded' : String(repro.seed),
          repro.seed !== null
        ),
        row(
          'last-verify',
          'Last verify',
          lastText,
          last ? last.status === 'reproducible' : null
        )
      ),
      state.pinError
        ? h('p', { class: 'jp-nbkit-error', role: 'alert' }, `Pin failed: ${state.pinError}`)
        : null,
      h(
        'div',
        { class: 'jp-nbkit-actions' },
        button(
          pinning ? 'Pinning…' : 'Pin environment',
          {
            class: 'jp-nbkit-button jp-nbkit-pin',
            'aria-label': 'Pin environment: record the Python version and packages into the notebook',
            disabled: pinning,
            'data-key': 'pin'
          },
          () => this._actions.pin()
        ),
        state.verifying
          ? button(
              state.verify.status === 'cancelling' ? 'Cancelling…' : 'Cancel verify',
              {
                class: 'jp-nbkit-button jp-nbkit-cancel',
                'aria-label': 'Cancel the running verify',
                disabled: state.verify.status === 'cancelling',
                'data-key': 'cancel'
              },
              () => this._actions.cancelVerify()
            )
          : button(
              'Verify',
              {
                class: 'jp-nbkit-button jp-mod-accept jp-nbkit-verify',
                'aria-label': 'Verify: re-run the notebook in a fresh kernel and compare its outputs',
                'data-key': 'verify'
              },
              () => this._actions.verify()
            )
      )
    );
  }

  private _verifyView(state: NotebookState): HTMLElement | null {
    const v = state.verify;
    if (v.status === 'idle') {
      return null;
    }
    const parts: (Child | Child[])[] = [];
    if (state.verifying) {
      const p = v.progress;
      const total = p?.cells ?? 0;
      const done = p?.done ?? 0;
      const current =
        v.status === 'cancelling'
          ? 'cancelling: stopping the kernel…'
          : p && p.current !== null && p.current !== undefined
            ? `running ${cellLabel(p.current)}`
            : v.status === 'running'
              ? 'running'
              : v.status === 'queued'
                ? 'waiting for a free slot'
                : 'starting a fresh kernel';
      parts.push(
        h('progress', {
          class: 'jp-nbkit-progress',
          max: total || 1,
          value: total ? done : undefined,
          'aria-label': 'Verify progress'
        }),
        h(
          'p',
          { class: 'jp-nbkit-progress-text', role: 'status', 'aria-live': 'polite' },
          total ? `${done} of ${total} cells · ${current}` : current
        )
      );
    } else if (v.status === 'cancelled') {
      parts.push(h('p', { class: 'jp-nbkit-muted jp-nbkit-verify-result', role: 'status' }, 'Verify cancelled.'));
      if (v.error) {
        parts.push(h('p', { class: 'jp-nbkit-error', role: 'alert' }, `Cancel failed: ${v.error}`));
      }
    } else if (v.status === 'error') {
      parts.push(
        h('p', { class: 'jp-nbkit-error jp-nbkit-verify-result', role: 'alert' }, `Verify could not run: ${v.error}`)
      );
    } else if (v.status === 'done') {
      const result = state.verifyResult;
      if (result) {
        const ok = result.status === 'reproducible';
        parts.push(
          h(
            'p',
            {
              class: `jp-nbkit-verify-result ${ok ? 'jp-mod-ok' : 'jp-mod-bad'}`,
              'data-status': result.status,
              role: 'status'
            },
            h('strong', {}, VERIFY_TEXT[result.status] ?? result.status),
            result.message ? ` — ${result.message}` : '',
            result.duration_s !== undefined ? ` (${result.duration_s.toFixed(1)} s)` : ''
          )
        );
        const cells = problemCells(result);
        if (cells.length) {
          parts.push(
            h(
              'ul',
              { class: 'jp-nbkit-diffs', 'aria-label': 'Cells that did not reproduce' },
              cells.map(cell => this._diff(cell))
            )
          );
        }
      } else {
        parts.push(h('p', { class: 'jp-nbkit-muted jp-nbkit-verify-result' }, 'Verify finished without a report.'));
      }
    }
    return this._section('verify', 'Verify', ...parts);
  }

  private _diff(cell: VerifyCell): HTMLElement {
    const head = h(
      'a',
      {
        href: '#',
        class: 'jp-nbkit-diff-cell',
        'data-key': `diff-${cell.index}`,
        'aria-label': `Go to cell ${cell.index}: ${cell.status}`
      },
      `Cell ${cell.index}: ${cell.status === 'error' ? 'error' : 'output differs'}` +
        (cell.mime ? ` (${cell.mime})` : '')
    );
    head.addEventListener('click', event => {
      event.preventDefault();
      this._actions.selectCell(cell.index, cell.id);
    });
    let body: HTMLElement;
    const images = cell.images;
    const imageSide = (label: string, mime: string, data: string | null | undefined) =>
      h(
        'figure',
        { class: 'jp-nbkit-side' },
        data
          ? h('img', {
              src: imageSource(mime, data),
              alt: `${label} output of cell ${cell.index}`
            })
          : h('span', { class: 'jp-nbkit-muted' }, 'none'),
        h('figcaption', {}, label)
      );
    if (images && (images.expected || images.actual)) {
      // images as decoded PNG by the server: stored and re-executed side by side, then the diff
      body = h(
        'div',
        { class: 'jp-nbkit-images' },
        h(
          'div',
          { class: 'jp-nbkit-sidebyside' },
          imageSide('Expected', 'image/png', images.expected),
          imageSide('Actual', 'image/png', images.actual)
        ),
        images.diff
          ? h(
              'div',
              { class: 'jp-nbkit-imagediff' },
              imageSide('Difference', 'image/png', images.diff)
            )
          : null,
        cell.message ? h('p', { class: 'jp-nbkit-muted' }, cell.message) : null
      );
    } else if (
      isImageMime(cell.mime) &&
      cell.mime !== 'image/svg+xml' &&
      looksLikeBase64(cell.expected) &&
      looksLikeBase64(cell.actual)
    ) {
      body = h(
        'div',
        { class: 'jp-nbkit-sidebyside' },
        imageSide('Expected', cell.mime!, cell.expected),
        imageSide('Actual', cell.mime!, cell.actual)
      );
    } else if (cell.diff) {
      body = h(
        'pre',
        { class: 'jp-nbkit-diff', 'aria-label': `Diff of cell ${cell.index}` },
        cell.diff.split('\n').map(line =>
          h(
            'span',
            {
              class:
                line.startsWith('+++') ||
                line.startsWith('---') ||
                line.startsWith('@@')
                  ? 'jp-nbkit-diffhead'
                  : line.startsWith('+')
                    ? 'jp-nbkit-add'
                    : line.startsWith('-')
                      ? 'jp-nbkit-del'
                      : ''
            },
            line + '\n'
          )
        )
      );
    } else {
      const side = (label: string, text: string | null | undefined) =>
        h(
          'figure',
          { class: 'jp-nbkit-side' },
          h('pre', {}, text ?? cell.message ?? ''),
          h('figcaption', {}, label)
        );
      body = h(
        'div',
        { class: 'jp-nbkit-sidebyside' },
        side('Expected', cell.expected),
        side('Actual', cell.actual)
      );
    }
    const note =
      cell.message && !(images && (images.expected || images.actual))
        ? h('p', { class: 'jp-nbkit-muted jp-nbkit-cell-message' }, cell.message)
        : null;
    return h(
      'li',
      { class: 'jp-nbkit-diff-item', 'data-index': cell.index },
      head,
      note,
      body
    );
  }

  private _state: NotebookState | null = null;
  private _unlisten: (() => void) | null = null;
  private _clock: ReturnType<typeof setInterval>;
  private _closed = new Map<string, boolean>();
}
