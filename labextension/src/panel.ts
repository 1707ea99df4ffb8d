/**
 * The sidebar widget: renders a NotebookState and forwards clicks to the actions it is given.
 * It holds no state of its own beyond which notebook it shows.
 */
import { Widget } from '@lumino/widgets';

import { Finding, LayoutItem, PolicyViolation } from './api';
import { NotebookState } from './model';
import {
  IChecklistRow,
  IChecklistView,
  IDiffView,
  IFindingsView,
  IImageSide,
  ILintBarView,
  IPolicyView,
  IReproView,
  IStatusRow,
  VerifyView,
  CauseFixAction,
  checklistView,
  findingsView,
  lintBarView,
  policyView,
  reproView,
  verifyView
} from './viewmodel';

/** What the panel's controls do (supplied by the plugin; fakes in tests). */
export interface IPanelActions {
  selectFinding(finding: Finding): void;
  selectCell(index: number, id?: string | null): void;
  insertSection(item: LayoutItem): void;
  lint(): void;
  verify(): void;
  cancelVerify(): void;
  pin(): void;
  /** Apply a team-policy violation's fix (insert a section, pin, insert a seed, show findings). */
  policyFix(violation: PolicyViolation): void;
  /** Apply the one-click fix of a cell's verify cause. */
  causeFix(action: CauseFixAction, index: number, id?: string | null): void;
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

/** An in-panel link (<a href="#">) that runs `onClick` instead of navigating. */
function link(
  label: string,
  attrs: { [key: string]: string | undefined },
  onClick: () => void
): HTMLAnchorElement {
  const el = h('a', { href: '#', ...attrs }, label) as HTMLAnchorElement;
  el.addEventListener('click', event => {
    event.preventDefault();
    onClick();
  });
  return el;
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

  /**
   * Bring the DOM up to date with the state. Each part (header, lint bar, checklist, findings,
   * reproducibility, verify) is rebuilt only when its view-model changed (the checklist and the
   * findings also on every new lint reply); the other parts keep their elements, focus and
   * open/closed state. Rebuilt parts get back the focus and open/closed groups they had.
   */
  render(): void {
    if (this.isDisposed) {
      return;
    }
    const focused = (document.activeElement as HTMLElement | null)?.closest?.('[data-key]');
    const focusKey = focused && this.node.contains(focused) ? focused.getAttribute('data-key') : null;
    const scroll = this.node.scrollTop;
    for (const details of this._details(this.node)) {
      this._closed.set(details.getAttribute('data-key')!, !details.open);
    }
    for (const el of this._sync()) {
      for (const details of this._details(el)) {
        const closed = this._closed.get(details.getAttribute('data-key')!);
        if (closed !== undefined) {
          details.open = !closed;
        }
      }
    }
    if (focusKey && !this.node.contains(document.activeElement)) {
      (this.node.querySelector(`[data-key="${CSS.escape(focusKey)}"]`) as HTMLElement | null)?.focus();
    }
    this.node.scrollTop = scroll;
  }

  /** Put the current parts in the panel, building those whose key changed; returns the new ones. */
  private _sync(): HTMLElement[] {
    const built = new Map<string, { key: string; el: HTMLElement }>();
    const fresh: HTMLElement[] = [];
    const next = this._parts().map(part => {
      const old = this._built.get(part.name);
      const el = old && old.key === part.key ? old.el : part.build();
      if (el !== old?.el) {
        fresh.push(el);
      }
      built.set(part.name, { key: part.key, el });
      return el;
    });
    this._built = built;
    // remove what is gone, then insert the new parts in place: kept parts are never detached
    const keep = new Set<Element>(next);
    for (const child of Array.from(this.node.children)) {
      if (!keep.has(child)) {
        child.remove();
      }
    }
    next.forEach((el, i) => {
      const current = this.node.children[i] ?? null;
      if (current !== el) {
        this.node.insertBefore(el, current);
      }
    });
    return fresh;
  }

  /** The open/closable groups in (and including) `root`, by data-key. */
  private _details(root: HTMLElement): HTMLDetailsElement[] {
    const found = Array.from(root.querySelectorAll<HTMLDetailsElement>('details[data-key]'));
    return root.matches('details[data-key]') ? [root as HTMLDetailsElement, ...found] : found;
  }

  /** The panel's parts, in order: a name, the key of what it shows, and how to build it. */
  private _parts(): { name: string; key: string; build: () => HTMLElement }[] {
    const state = this._state;
    const name = state ? this.notebookName || state.path : '';
    const header = {
      name: 'header',
      key: JSON.stringify([!!state, name, state?.path]),
      build: () =>
        h(
          'header',
          { class: 'jp-nbkit-header' },
          h('h2', { class: 'jp-nbkit-title' }, 'nbkit'),
          state ? h('span', { class: 'jp-nbkit-notebook', title: state.path }, name) : null
        )
    };
    if (!state) {
      return [
        header,
        {
          name: 'empty',
          key: '',
          build: () =>
            h(
              'p',
              { class: 'jp-nbkit-empty' },
              'Open a notebook to see its layout, lint findings and reproducibility status.'
            )
        }
      ];
    }
    const now = state.now();
    const lint = lintBarView(
      {
        status: state.lintStatus,
        error: state.lintError,
        counts: state.counts,
        lintedAt: state.lintedAt
      },
      now
    );
    const reply = this._replyNumber(state);
    const checklist = checklistView(state.layout);
    const findings = findingsView(state.groups, state.lintStatus);
    const repro = reproView(
      state.repro,
      { status: state.pinStatus, error: state.pinError },
      { verifying: state.verifying, status: state.verify.status },
      now
    );
    const verify = verifyView(state.verify, state.verifying, state.verifyResult);
    const parts = [
      header,
      { name: 'lint', key: JSON.stringify(lint), build: () => this._lintBar(lint) },
      { name: 'layout', key: JSON.stringify([reply, checklist]), build: () => this._checklist(checklist) },
      { name: 'findings', key: JSON.stringify([reply, findings]), build: () => this._findings(findings) },
      { name: 'repro', key: JSON.stringify(repro), build: () => this._repro(repro) }
    ];
    // the team-policy banner, right under the header
    const policy = policyView(state.policy);
    if (policy) {
      parts.splice(1, 0, { name: 'policy', key: JSON.stringify(policy), build: () => this._policy(policy) });
    }
    if (verify) {
      parts.push({ name: 'verify', key: JSON.stringify(verify), build: () => this._verify(verify) });
    }
    return parts;
  }

  /** A number for the state's current lint reply (a new reply gets a new number). */
  private _replyNumber(state: NotebookState): number {
    const reply = state.reply;
    if (!reply) {
      return 0;
    }
    let n = this._replies.get(reply);
    if (n === undefined) {
      n = ++this._replyCount;
      this._replies.set(reply, n);
    }
    return n;
  }

  /** The team-policy banner (or, when the notebook meets the policy, a quiet line). */
  private _policy(view: IPolicyView): HTMLElement {
    const source = view.source
      ? h('span', { class: 'jp-nbkit-policy-source', title: view.sourceTitle }, view.source)
      : null;
    if (view.kind === 'ok') {
      return h(
        'div',
        { class: 'jp-nbkit-policy jp-nbkit-policy-ok', 'data-kind': view.kind, role: 'status' },
        h('span', { class: 'jp-nbkit-policy-text' }, `✓ ${view.text}`),
        source ? ' · ' : null,
        source
      );
    }
    return h(
      'div',
      {
        class: `jp-nbkit-policy jp-nbkit-policy-banner jp-nbkit-policy-${view.kind}`,
        'data-kind': view.kind,
        role: 'region',
        'aria-label': 'Team policy'
      },
      h('p', { class: 'jp-nbkit-policy-text', role: 'status', 'aria-live': 'polite' }, view.text),
      view.fixes.length
        ? h(
            'div',
            { class: 'jp-nbkit-policy-fixes' },
            view.fixes.map(fix =>
              button(
                fix.label,
                {
                  class: 'jp-nbkit-button jp-nbkit-policy-fix',
                  'aria-label': fix.ariaLabel,
                  title: fix.title,
                  'data-key': fix.key,
                  'data-action': fix.violation.fix.action
                },
                () => this._actions.policyFix(fix.violation)
              )
            )
          )
        : null,
      source ? h('p', { class: 'jp-nbkit-policy-from' }, source) : null
    );
  }

  private _lintBar(view: ILintBarView): HTMLElement {
    return h(
      'div',
      { class: 'jp-nbkit-lintbar' },
      h(
        'span',
        {
          class: `jp-nbkit-lintstatus jp-nbkit-lint-${view.status}`,
          role: 'status',
          'aria-live': 'polite'
        },
        view.text
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

  private _checklist(view: IChecklistView): HTMLElement {
    const list = h(
      'ul',
      { class: 'jp-nbkit-checklist', 'aria-label': 'Layout checklist' },
      view.rows.map(row => this._checkRow(row))
    );
    return this._section(
      'layout',
      view.title,
      view.rows.length ? list : h('p', { class: 'jp-nbkit-muted' }, 'No layout information yet.')
    );
  }

  private _checkRow(row: IChecklistRow): HTMLElement {
    const item = row.item;
    const goto = row.goto;
    const label = goto
      ? link(
          item.label,
          { class: 'jp-nbkit-check-label', 'data-key': goto.key, 'aria-label': row.ariaLabel },
          () => this._actions.selectCell(goto.cellIndex)
        )
      : h('span', { class: 'jp-nbkit-check-label', 'aria-label': row.ariaLabel }, item.label);
    return h(
      'li',
      { class: `jp-nbkit-check ${row.mod}`, 'data-section': item.section },
      h('span', { class: 'jp-nbkit-mark', 'aria-hidden': 'true' }, row.mark),
      label,
      row.insert
        ? button(
            'Insert',
            {
              class: 'jp-nbkit-button jp-nbkit-insert',
              'aria-label': row.insert.ariaLabel,
              title: row.insert.title,
              'data-key': row.insert.key
            },
            () => this._actions.insertSection(item)
          )
        : null
    );
  }

  private _findings(view: IFindingsView): HTMLElement {
    const body = view.groups.map(group =>
      h(
        'details',
        {
          class: `jp-nbkit-group jp-nbkit-severity-${group.severity}`,
          'data-key': `group-${group.severity}`,
          open: true
        },
        h('summary', { class: 'jp-nbkit-group-title' }, group.title),
        h(
          'ul',
          { class: 'jp-nbkit-findings', 'aria-label': group.label },
          group.rows.map(row => {
            const f = row.finding;
            const b = button(
              '',
              {
                class: `jp-nbkit-finding jp-nbkit-severity-${f.severity}`,
                'aria-label': row.ariaLabel,
                title: row.title,
                'data-key': row.key,
                'data-code': f.code,
                'data-cell-index': f.cell_index === null ? undefined : String(f.cell_index)
              },
              () => this._actions.selectFinding(f)
            );
            b.append(
              h('span', { class: 'jp-nbkit-code' }, f.code),
              h('span', { class: 'jp-nbkit-message' }, f.message),
              h('span', { class: 'jp-nbkit-where' }, row.where)
            );
            return h('li', {}, b);
          })
        )
      )
    );
    if (view.empty !== null) {
      body.push(h('p', { class: 'jp-nbkit-muted jp-nbkit-clean' }, view.empty));
    }
    return this._section('findings', view.title, ...body);
  }

  private _repro(view: IReproView): HTMLElement {
    const row = (r: IStatusRow) =>
      h(
        'div',
        { class: `jp-nbkit-row jp-nbkit-${r.key}` },
        h('dt', {}, r.label),
        h('dd', { class: r.ok === null ? '' : r.ok ? 'jp-mod-ok' : 'jp-mod-bad' }, r.value)
      );
    const verify = view.verify;
    return this._section(
      'repro',
      'Reproducibility',
      h(
        'dl',
        { class: 'jp-nbkit-status' },
        row(view.environment),
        view.drift.length
          ? h(
              'div',
              { class: 'jp-nbkit-row jp-nbkit-drift' },
              h('dt', {}, 'Drift'),
              h(
                'dd',
                { class: 'jp-mod-bad' },
                h('ul', { 'aria-label': 'Environment drift' }, view.drift.map(line => h('li', {}, line)))
              )
            )
          : null,
        row(view.seed),
        view.data ? row(view.data) : null,
        row(view.lastVerify)
      ),
      view.pinError ? h('p', { class: 'jp-nbkit-error', role: 'alert' }, view.pinError) : null,
      h(
        'div',
        { class: 'jp-nbkit-actions' },
        button(
          view.pin.label,
          {
            class: 'jp-nbkit-button jp-nbkit-pin',
            'aria-label': 'Pin environment: record the Python version and packages into the notebook',
            disabled: view.pin.disabled,
            'data-key': 'pin'
          },
          () => this._actions.pin()
        ),
        verify.kind === 'cancel'
          ? button(
              verify.label,
              {
                class: 'jp-nbkit-button jp-nbkit-cancel',
                'aria-label': 'Cancel the running verify',
                disabled: verify.disabled,
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

  private _verify(view: VerifyView): HTMLElement {
    return this._section('verify', 'Verify', ...this._verifyBody(view));
  }

  private _verifyBody(view: VerifyView): Child[] {
    switch (view.kind) {
      case 'progress':
        return [
          h('progress', {
            class: 'jp-nbkit-progress',
            max: view.max,
            value: view.value,
            'aria-label': 'Verify progress'
          }),
          h('p', { class: 'jp-nbkit-progress-text', role: 'status', 'aria-live': 'polite' }, view.text)
        ];
      case 'cancelled':
        return [
          h('p', { class: 'jp-nbkit-muted jp-nbkit-verify-result', role: 'status' }, 'Verify cancelled.'),
          view.cancelError ? h('p', { class: 'jp-nbkit-error', role: 'alert' }, view.cancelError) : null
        ];
      case 'error':
        return [h('p', { class: 'jp-nbkit-error jp-nbkit-verify-result', role: 'alert' }, view.text)];
      case 'no-report':
        return [h('p', { class: 'jp-nbkit-muted jp-nbkit-verify-result' }, 'Verify finished without a report.')];
      case 'result':
        return [
          h(
            'p',
            {
              class: `jp-nbkit-verify-result ${view.ok ? 'jp-mod-ok' : 'jp-mod-bad'}`,
              'data-status': view.status,
              role: 'status'
            },
            h('strong', {}, view.verdict),
            view.detail
          ),
          view.diffs.length
            ? h(
                'ul',
                { class: 'jp-nbkit-diffs', 'aria-label': 'Cells that did not reproduce' },
                view.diffs.map(diff => this._diff(diff))
              )
            : null,
          view.notes.length
            ? h(
                'ul',
                { class: 'jp-nbkit-notes', 'aria-label': 'Matches that were not exact' },
                view.notes.map(note => h('li', {}, note))
              )
            : null
        ];
    }
  }

  private _diff(view: IDiffView): HTMLElement {
    const cell = view.cell;
    const head = link(
      view.head.text,
      { class: 'jp-nbkit-diff-cell', 'data-key': view.head.key, 'aria-label': view.head.ariaLabel },
      () => this._actions.selectCell(cell.index, cell.id)
    );
    const side = (s: IImageSide) =>
      h(
        'figure',
        { class: 'jp-nbkit-side' },
        s.src ? h('img', { src: s.src, alt: s.alt }) : h('span', { class: 'jp-nbkit-muted' }, 'none'),
        h('figcaption', {}, s.label)
      );
    const b = view.body;
    let body: HTMLElement;
    switch (b.kind) {
      case 'images':
        body = h(
          'div',
          { class: 'jp-nbkit-images' },
          h('div', { class: 'jp-nbkit-sidebyside' }, b.sides.map(side)),
          b.difference ? h('div', { class: 'jp-nbkit-imagediff' }, side(b.difference)) : null,
          b.message ? h('p', { class: 'jp-nbkit-muted' }, b.message) : null
        );
        break;
      case 'image-pair':
        body = h('div', { class: 'jp-nbkit-sidebyside' }, b.sides.map(side));
        break;
      case 'diff':
        body = h(
          'pre',
          { class: 'jp-nbkit-diff', 'aria-label': `Diff of cell ${cell.index}` },
          b.lines.map(line => h('span', { class: line.className }, line.text))
        );
        break;
      case 'text':
        body = h(
          'div',
          { class: 'jp-nbkit-sidebyside' },
          b.sides.map(s =>
            h('figure', { class: 'jp-nbkit-side' }, h('pre', {}, s.text), h('figcaption', {}, s.label))
          )
        );
        break;
    }
    return h(
      'li',
      { class: 'jp-nbkit-diff-item', 'data-index': cell.index },
      head,
      view.cause
        ? h(
            'p',
            { class: 'jp-nbkit-cell-cause' },
            h('span', { class: view.cause.className, title: view.cause.title }, view.cause.label),
            ' ' + view.cause.summary,
            view.fix
              ? button(
                  view.fix.label,
                  {
                    class: 'jp-nbkit-button jp-nbkit-cause-fix',
                    'aria-label': view.fix.ariaLabel,
                    'data-key': `fix-${cell.index}`,
                    'data-action': view.fix.action
                  },
                  () => this._actions.causeFix(view.fix!.action, cell.index, cell.id)
                )
              : null
          )
        : null,
      view.note ? h('p', { class: 'jp-nbkit-muted jp-nbkit-cell-message' }, view.note) : null,
      body
    );
  }

  private _state: NotebookState | null = null;
  private _unlisten: (() => void) | null = null;
  private _clock: ReturnType<typeof setInterval>;
  private _closed = new Map<string, boolean>();
  private _built = new Map<string, { key: string; el: HTMLElement }>();
  private _replies = new WeakMap<object, number>();
  private _replyCount = 0;
}
