/**
 * Glue between JupyterLab's notebooks and the panel: one NotebookState per open notebook,
 * re-lint on save and on edits, and the actions behind the panel's buttons and the commands.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MarkdownCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { Finding, LayoutItem, NbkitAPI, NotebookCell, PolicyViolation } from './api';
import { IPanelSettings, NotebookState } from './model';
import { IPanelActions, NbkitPanel } from './panel';
import { CauseFixAction } from './viewmodel';

function sourceText(source: string | string[]): string {
  return Array.isArray(source) ? source.join('') : source;
}

/** Whether every cell of the notebook is empty (a fresh "Untitled" notebook). */
function isBlank(panel: NotebookPanel): boolean {
  const cells = panel.content.model?.sharedModel.cells ?? [];
  return cells.every(cell => cell.getSource().trim() === '');
}

export class NbkitController implements IPanelActions {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _tracker: INotebookTracker,
    private readonly _api: NbkitAPI,
    readonly panel: NbkitPanel,
    settings: Partial<IPanelSettings> = {}
  ) {
    this._settings = settings;
    _tracker.currentChanged.connect(this._onCurrentChanged, this);
    panel.disposed.connect(() => {
      _tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    });
    this._onCurrentChanged();
  }

  /** The notebook the panel shows. */
  get current(): NotebookPanel | null {
    return this._tracker.currentWidget;
  }

  get currentState(): NotebookState | null {
    const nb = this.current;
    return nb ? this.stateFor(nb) : null;
  }

  updateSettings(settings: Partial<IPanelSettings>): void {
    const relint =
      settings.profile !== this._settings.profile ||
      (settings.ignore ?? []).join(',') !== (this._settings.ignore ?? []).join(',');
    this._settings = { ...this._settings, ...settings };
    for (const state of this._states.values()) {
      state.updateSettings(this._settings);
    }
    const nb = this.current;
    if (relint && nb) {
      void this._lintNow(nb);
    }
  }

  /** The state of a notebook, created (and wired to the notebook's signals) on first use. */
  stateFor(nb: NotebookPanel): NotebookState {
    let state = this._states.get(nb);
    if (state) {
      return state;
    }
    const context = nb.context;
    state = new NotebookState(this._api, context.localPath, this._settings);
    this._states.set(nb, state);
    const s = state;
    const onSave = (_: unknown, saveState: string) => {
      if (saveState === 'completed' && s.settings.autoLint) {
        void s.lint();
      }
      if (saveState === 'completed') {
        void s.refreshPolicy(); // the server checked the saved file against the team policy
      }
    };
    const onEdit = () => {
      if (!this._quiet.has(nb)) {
        s.scheduleLint(() => context.model.toJSON());
      }
    };
    const onPath = () => {
      s.path = context.localPath;
    };
    context.saveState.connect(onSave);
    context.pathChanged.connect(onPath);
    void context.ready.then(() => {
      if (!s.isDisposed) {
        context.model.contentChanged.connect(onEdit);
      }
    });
    nb.disposed.connect(() => {
      context.saveState.disconnect(onSave);
      context.pathChanged.disconnect(onPath);
      context.model?.contentChanged.disconnect(onEdit);
      s.dispose();
      this._states.delete(nb);
      if (this.panel.state === s) {
        this.panel.state = null;
      }
    });
    return state;
  }

  private _onCurrentChanged(): void {
    const nb = this.current;
    if (!nb) {
      this.panel.state = null;
      return;
    }
    const state = this.stateFor(nb);
    this.panel.notebookName = nb.context.localPath.split('/').pop() ?? '';
    this.panel.state = state;
    if (!state.policyRequested) {
      void nb.context.ready.then(() => state.refreshPolicy());
    }
    if (state.lintStatus === 'idle' && state.settings.autoLint) {
      void nb.context.ready.then(() => {
        if (state.lintStatus === 'idle') {
          void this._lintNow(nb);
        }
      });
    }
  }

  /** Lint the notebook now: the unsaved content when there are unsaved changes. */
  private async _lintNow(nb: NotebookPanel): Promise<void> {
    await nb.context.ready;
    const state = this.stateFor(nb);
    const model = nb.context.model;
    await state.lint(model.dirty ? model.toJSON() : undefined);
  }

  // ---- IPanelActions ---------------------------------------------------------------------

  lint(): void {
    const nb = this.current;
    if (nb) {
      void this._lintNow(nb);
    }
  }

  selectFinding(finding: Finding): void {
    if (finding.cell_index === null && !finding.cell_id) {
      return;
    }
    this.selectCell(finding.cell_index ?? -1, finding.cell_id, finding.line);
  }

  /** Select the cell (found by id, else by index), scroll it into view and focus the notebook. */
  selectCell(index: number, id?: string | null, line?: number | null): void {
    const nb = this.current;
    const notebook = nb?.content;
    if (!nb || !notebook || !notebook.model) {
      return;
    }
    let target = -1;
    if (id) {
      target = notebook.widgets.findIndex(cell => cell.model.id === id);
    }
    if (target < 0) {
      target = index;
    }
    if (target < 0 || target >= notebook.widgets.length) {
      return;
    }
    this._app.shell.activateById(nb.id);
    notebook.mode = 'command';
    notebook.deselectAll();
    notebook.activeCellIndex = target;
    void notebook.scrollToItem(target, 'center').then(() => {
      const cell = notebook.widgets[target];
      // A windowed notebook estimates the height of cells it has not rendered yet, so the first
      // scroll can stop short when they turn out taller: scroll the rendered cell into view.
      if (cell && cell.node.isConnected && !inView(cell.node, notebook.node)) {
        cell.node.scrollIntoView({ block: 'center' });
      }
      if (line && cell && cell.model.type === 'code' && cell.editor) {
        cell.editor.setCursorPosition({ line: line - 1, column: 0 });
      }
      notebook.node.focus();
    });
  }

  /** Insert a missing section's heading where the layout says it belongs. */
  insertSection(item: LayoutItem): void {
    const nb = this.current;
    if (nb) {
      void this._insertSections(nb, [item.section]);
    }
  }

  /**
   * Insert the heading cells of the given sections (or of every missing required section).
   * The notebook is linted first so the positions match its current content.
   */
  private async _insertSections(
    nb: NotebookPanel,
    sections: string[] | null
  ): Promise<number> {
    await this._lintNow(nb);
    const state = this.stateFor(nb);
    const model = nb.content.model;
    if (!model) {
      return 0;
    }
    const items = state.layout.filter(
      item =>
        !item.present &&
        item.insert_at !== null &&
        (sections ? sections.includes(item.section) : item.required)
    );
    // bottom-up, later sections first at equal positions, so earlier positions stay valid
    const ordered = items
      .map((item, order) => ({ item, order }))
      .sort((a, b) => b.item.insert_at! - a.item.insert_at! || b.order - a.order);
    model.sharedModel.transact(() => {
      for (const { item } of ordered) {
        const at = Math.min(item.insert_at!, model.cells.length);
        model.sharedModel.insertCell(at, {
          cell_type: 'markdown',
          source: item.heading,
          metadata: {}
        });
      }
    });
    if (!ordered.length) {
      return 0;
    }
    this._renderMarkdown(nb);
    // select the first inserted heading
    const firstAt = Math.min(...ordered.map(o => o.item.insert_at!));
    this.selectCell(Math.min(firstAt, model.cells.length - 1));
    await this._lintNow(nb);
    return ordered.length;
  }

  private _renderMarkdown(nb: NotebookPanel): void {
    for (const cell of nb.content.widgets) {
      if (cell instanceof MarkdownCell && !cell.rendered && cell.model.sharedModel.getSource().startsWith('#')) {
        cell.rendered = true;
      }
    }
  }

  /**
   * "Insert layout template": a blank notebook gets the whole skeleton; a notebook with
   * content gets the headings of its missing required sections.
   */
  async insertTemplate(nb: NotebookPanel | null = this.current): Promise<number> {
    if (!nb) {
      return 0;
    }
    await nb.context.ready;
    const model = nb.content.model;
    if (!model) {
      return 0;
    }
    if (!isBlank(nb)) {
      return this._insertSections(nb, null);
    }
    const cells: NotebookCell[] = await this._api.template();
    model.sharedModel.transact(() => {
      model.sharedModel.deleteCellRange(0, model.cells.length);
      model.sharedModel.insertCells(
        0,
        cells.map(cell => ({
          cell_type: cell.cell_type,
          source: sourceText(cell.source),
          metadata: (cell.metadata ?? {}) as any,
          ...(cell.cell_type === 'code' ? { outputs: [], execution_count: null } : {})
        })) as any
      );
    });
    this._renderMarkdown(nb);
    this.selectCell(0);
    await this._lintNow(nb);
    return cells.length;
  }

  /** Verify the saved notebook (saving it first when it has unsaved changes). */
  verify(nb: NotebookPanel | null = this.current, env?: 'current' | 'pinned'): void {
    if (nb) {
      void this._verify(nb, env);
    }
  }

  private async _verify(nb: NotebookPanel, env?: 'current' | 'pinned'): Promise<void> {
    const state = this.stateFor(nb);
    if (state.verifying) {
      return;
    }
    await nb.context.ready;
    if (nb.context.model.dirty) {
      await nb.context.save();
    }
    await state.startVerify(env);
  }

  cancelVerify(nb: NotebookPanel | null = this.current): void {
    if (nb) {
      void this.stateFor(nb).cancelVerify();
    }
  }

  pin(): void {
    void this.pinNotebook(this.current);
  }

  /**
   * Pin the environment: save, let the server record it into the file, then reload the
   * notebook from disk so the editor holds what the file holds.
   */
  async pinNotebook(nb: NotebookPanel | null, seed?: number): Promise<boolean> {
    if (!nb) {
      return false;
    }
    await nb.context.ready;
    const state = this.stateFor(nb);
    if (nb.context.model.dirty) {
      await nb.context.save();
    }
    const ok = await state.pin(seed);
    if (ok) {
      this._quiet.add(nb);
      try {
        await nb.context.revert();
      } finally {
        this._quiet.delete(nb);
      }
      await state.lint();
      void state.refreshPolicy(); // pin wrote the file: its verdict is checked again
    }
    return ok;
  }

  /** Apply the fix of a team-policy violation (the banner's buttons). */
  policyFix(violation: PolicyViolation): void {
    const nb = this.current;
    if (!nb) {
      return;
    }
    const action = violation.fix.action;
    if (action.startsWith('insert-section:')) {
      void this._insertSections(nb, [action.slice('insert-section:'.length)]);
    } else if (action === 'pin') {
      void this.pinNotebook(nb);
    } else if (action === 'seed') {
      void this._insertSeed(nb);
    } else if (action === 'findings') {
      const state = this.stateFor(nb);
      const first = state.findings.find(f => violation.codes.includes(f.code));
      if (first) {
        this.selectFinding(first);
      }
    }
  }

  /** The one-click fix of a verify cause (see viewmodel.causeFix). */
  causeFix(action: CauseFixAction, index: number, id?: string | null): void {
    const nb = this.current;
    if (!nb) {
      return;
    }
    if (action === 'seed') {
      void this._insertSeed(nb);
    } else if (action === 'verify-pinned') {
      this.verify(nb, 'pinned');
    } else if (action === 'ignore-output') {
      const cells = nb.content.model?.sharedModel.cells ?? [];
      const cell = (id ? cells.find(c => c.id === id) : undefined) ?? cells[index];
      if (cell) {
        const tags = (cell.getMetadata('tags') as string[] | undefined) ?? [];
        if (!tags.includes('nbkit:ignore-output')) {
          cell.setMetadata('tags', [...tags, 'nbkit:ignore-output']);
        }
        this.selectCell(cells.indexOf(cell), cell.id);
      }
    }
  }

  /**
   * Insert a `%nbkit seed 42` code cell (with `%load_ext nbkit` when no cell loads it) under the
   * Setup heading, else under the title, else first. The user runs it; nothing is executed here.
   */
  private async _insertSeed(nb: NotebookPanel): Promise<void> {
    await nb.context.ready;
    const model = nb.content.model;
    if (!model) {
      return;
    }
    const state = this.stateFor(nb);
    const loaded = model.sharedModel.cells.some(
      cell => cell.cell_type === 'code' && /^\s*%load_ext\s+nbkit\b/m.test(cell.getSource())
    );
    const source = (loaded ? '' : '%load_ext nbkit\n') + '%nbkit seed 42';
    const under = (section: string) =>
      state.layout.find(item => item.section === section && item.present && item.cell_index !== null);
    const anchor = under('setup') ?? under('title');
    const at = Math.min(anchor ? anchor.cell_index! + 1 : 0, model.cells.length);
    model.sharedModel.insertCell(at, {
      cell_type: 'code',
      source,
      metadata: {},
      outputs: [],
      execution_count: null
    } as any);
    this.selectCell(at);
    await this._lintNow(nb);
  }

  private _settings: Partial<IPanelSettings>;
  private _states = new Map<NotebookPanel, NotebookState>();
  /** Notebooks being reloaded by nbkit itself: their content changes need no lint. */
  private _quiet = new Set<NotebookPanel>();
}

/** Whether any part of `node` is inside the visible area of its scrolling `container`. */
function inView(node: HTMLElement, container: HTMLElement): boolean {
  const outer = node.closest('.jp-WindowedPanel-outer') ?? container;
  const a = outer.getBoundingClientRect();
  const b = node.getBoundingClientRect();
  return b.height > 0 && b.bottom > a.top && b.top < a.bottom;
}
