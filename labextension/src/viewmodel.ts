/**
 * What the panel shows, decided here: small pure functions from state to view-models (plain
 * data: texts, labels, classes, which controls exist). No DOM, no JupyterLab: the tests call
 * them directly. The panel (panel.ts) only maps these view-models to elements.
 */
import {
  DataSummary,
  Finding,
  LayoutItem,
  PolicySource,
  PolicyVerdict,
  PolicyViolation,
  Severity,
  VerifyCell,
  VerifyNotebook
} from './api';
import {
  IReproStatus,
  IVerifyState,
  LintStatus,
  imageSource,
  isImageMime,
  problemCells,
  timeAgo
} from './model';

export const SEVERITY_TITLE: { [severity in Severity]: string } = {
  error: 'Errors',
  warning: 'Warnings',
  info: 'Info'
};

export const VERIFY_TEXT: { [status: string]: string } = {
  reproducible: 'Reproducible',
  mismatch: 'Outputs differ',
  failed: 'Fails in a fresh kernel',
  nondeterministic: 'Not deterministic',
  timeout: 'Timed out',
  invalid: 'Not a usable notebook'
};

/** "cell 7" (0-based, as in nbkit's own messages: cells[7]), or "notebook". */
export function cellLabel(index: number | null | undefined): string {
  return index === null || index === undefined ? 'notebook' : `cell ${index}`;
}

/** Whether the text is base64 data (an image as nbformat stores it), not a description. */
export function looksLikeBase64(text: string | null | undefined): boolean {
  return !!text && text.length > 16 && /^[A-Za-z0-9+/=\s]+$/.test(text);
}

// ---- lint bar ------------------------------------------------------------------------------

export interface ILintBarView {
  status: LintStatus;
  text: string;
}

export function lintBarView(
  lint: {
    status: LintStatus;
    error: string | null;
    counts: { [severity in Severity]: number };
    lintedAt: Date | null;
  },
  now: Date
): ILintBarView {
  switch (lint.status) {
    case 'linting':
      return { status: lint.status, text: 'Linting…' };
    case 'error':
      return { status: lint.status, text: `Lint failed: ${lint.error}` };
    case 'done': {
      const c = lint.counts;
      const when = lint.lintedAt ? timeAgo(lint.lintedAt, now) : '';
      return {
        status: lint.status,
        text: `${c.error} errors, ${c.warning} warnings, ${c.info} info · linted ${when}`
      };
    }
    default:
      return { status: lint.status, text: 'Not linted yet' };
  }
}

// ---- layout checklist ----------------------------------------------------------------------

export interface IChecklistRow {
  item: LayoutItem;
  mark: string;
  /** The row's modifier class. */
  mod: 'jp-mod-present' | 'jp-mod-missing' | 'jp-mod-optional';
  ariaLabel: string;
  /** A link to the section's cell, when it is present. */
  goto: { key: string; cellIndex: number } | null;
  /** An Insert button, when the section is missing and has a place. */
  insert: { key: string; ariaLabel: string; title: string } | null;
}

export interface IChecklistView {
  title: string;
  rows: IChecklistRow[];
}

export function checklistRow(item: LayoutItem): IChecklistRow {
  const status = item.present
    ? 'present'
    : item.required
      ? 'missing'
      : 'optional, absent';
  const goto =
    item.present && item.cell_index !== null
      ? { key: `goto-section-${item.section}`, cellIndex: item.cell_index }
      : null;
  return {
    item,
    mark: item.present ? '✓' : item.required ? '✗' : '–',
    mod: item.present
      ? 'jp-mod-present'
      : item.required
        ? 'jp-mod-missing'
        : 'jp-mod-optional',
    ariaLabel: goto
      ? `${item.label}: ${status}, go to ${cellLabel(item.cell_index)}`
      : `${item.label}: ${status}`,
    goto,
    insert:
      !item.present && item.insert_at !== null
        ? {
            key: `insert-${item.section}`,
            ariaLabel: `Insert the ${item.label} section heading`,
            title: `Insert "${item.heading}" before ${cellLabel(item.insert_at)}`
          }
        : null
  };
}

export function checklistView(items: LayoutItem[]): IChecklistView {
  const missing = items.filter(i => i.required && !i.present).length;
  return {
    title: items.length
      ? `Layout · ${missing ? `${missing} missing` : 'complete'}`
      : 'Layout',
    rows: items.map(checklistRow)
  };
}

// ---- findings ------------------------------------------------------------------------------

export interface IFindingRow {
  finding: Finding;
  key: string;
  ariaLabel: string;
  title: string;
  where: string;
}

export interface IFindingGroupView {
  severity: Severity;
  title: string;
  label: string;
  rows: IFindingRow[];
}

export interface IFindingsView {
  title: string;
  groups: IFindingGroupView[];
  /** What to say when there are no findings (null when there are). */
  empty: string | null;
}

export function findingRow(f: Finding, position: number): IFindingRow {
  const where = cellLabel(f.cell_index) + (f.line ? `, line ${f.line}` : '');
  return {
    finding: f,
    key: `finding-${f.code}-${f.cell_index}-${f.line}-${position}`,
    ariaLabel: `${f.severity} ${f.code} ${f.name} in ${where}: ${f.message}`,
    title: `${f.code} ${f.name}${f.fixable ? ' (fixable with nbkit lint --fix)' : ''}`,
    where
  };
}

export function findingsView(
  groups: { severity: Severity; findings: Finding[] }[],
  lintStatus: LintStatus
): IFindingsView {
  const total = groups.reduce((n, g) => n + g.findings.length, 0);
  return {
    title: `Findings · ${total}`,
    groups: groups.map(group => ({
      severity: group.severity,
      title: `${SEVERITY_TITLE[group.severity]} (${group.findings.length})`,
      label: SEVERITY_TITLE[group.severity],
      rows: group.findings.map(findingRow)
    })),
    empty: groups.length
      ? null
      : lintStatus === 'done'
        ? 'No findings.'
        : 'No findings yet.'
  };
}

// ---- reproducibility -------------------------------------------------------------------------

export interface IStatusRow {
  key: string;
  label: string;
  value: string;
  /** true: shown as good, false: as bad, null: neutral. */
  ok: boolean | null;
}

export interface IReproView {
  environment: IStatusRow;
  /** One line per drifted package (empty: no drift row). */
  drift: string[];
  seed: IStatusRow;
  /** The data pins ("3 files pinned, 1 changed"); null: the notebook pins no data. */
  data: IStatusRow | null;
  lastVerify: IStatusRow;
  pinError: string | null;
  pin: { label: string; disabled: boolean };
  /** The verify control: Verify, or Cancel while a job runs. */
  verify:
    | { kind: 'verify' }
    | { kind: 'cancel'; label: string; disabled: boolean };
}

export function environmentText(repro: IReproStatus): string {
  if (!repro.pinned) {
    return 'not pinned';
  }
  const env = repro.environment;
  if (!env) {
    return 'pinned';
  }
  const parts = [
    env.python ? `Python ${env.python}` : '',
    env.packages ? `${Object.keys(env.packages).length} packages` : ''
  ].filter(Boolean);
  return `pinned (${parts.join(', ')})`;
}

/** "3 files pinned, 1 changed" (", 1 missing"): the data pins against the files now. */
export function dataText(data: DataSummary): string {
  const parts = [`${data.pinned} file${data.pinned === 1 ? '' : 's'} pinned`];
  if (data.changed) {
    parts.push(`${data.changed} changed`);
  }
  if (data.missing) {
    parts.push(`${data.missing} missing`);
  }
  return parts.join(', ');
}

export function lastVerifyText(
  last: IReproStatus['lastVerify'],
  now: Date
): string {
  if (!last) {
    return 'never';
  }
  return (
    `${VERIFY_TEXT[last.status] ?? last.status}` +
    (last.at ? `, ${timeAgo(last.at, now)}` : '')
  );
}

export function reproView(
  repro: IReproStatus,
  pin: { status: 'idle' | 'pinning' | 'error'; error: string | null },
  verify: { verifying: boolean; status: IVerifyState['status'] },
  now: Date
): IReproView {
  const last = repro.lastVerify;
  const pinning = pin.status === 'pinning';
  return {
    environment: {
      key: 'env',
      label: 'Environment',
      value: environmentText(repro),
      ok: repro.pinned
    },
    drift: repro.drift.map(
      d => `${d.package}: pinned ${d.pinned ?? '—'}, installed ${d.installed ?? 'missing'}`
    ),
    seed: {
      key: 'seed',
      label: 'Seed',
      value: repro.seed === null ? 'not recorded' : String(repro.seed),
      ok: repro.seed !== null
    },
    data: repro.data
      ? {
          key: 'data',
          label: 'Data',
          value: dataText(repro.data),
          ok: !repro.data.changed && !repro.data.missing
        }
      : null,
    lastVerify: {
      key: 'last-verify',
      label: 'Last verify',
      value: lastVerifyText(last, now),
      ok: last ? last.status === 'reproducible' : null
    },
    pinError: pin.error ? `Pin failed: ${pin.error}` : null,
    pin: { label: pinning ? 'Pinning…' : 'Pin environment', disabled: pinning },
    verify: verify.verifying
      ? {
          kind: 'cancel',
          label: verify.status === 'cancelling' ? 'Cancelling…' : 'Cancel verify',
          disabled: verify.status === 'cancelling'
        }
      : { kind: 'verify' }
  };
}

// ---- verify ----------------------------------------------------------------------------------

export interface IImageSide {
  label: string;
  /** The <img> source, or null: no image on this side. */
  src: string | null;
  alt: string;
}

export type DiffBody =
  | { kind: 'images'; sides: IImageSide[]; difference: IImageSide | null; message: string | null }
  | { kind: 'image-pair'; sides: IImageSide[] }
  | { kind: 'diff'; lines: { text: string; className: string }[] }
  | { kind: 'text'; sides: { label: string; text: string }[] };

/** Why a cell does not reproduce, as a chip: its kind, the one-line summary, evidence and fix. */
export interface ICauseChip {
  kind: string;
  label: string;
  className: string;
  summary: string;
  /** The tooltip: the evidence, then the fix. */
  title: string;
  fix: string;
}

export const CAUSE_LABEL: { [kind: string]: string } = {
  randomness: 'Randomness',
  clock: 'Clock',
  'hash-order': 'Hash order',
  'stale-output': 'Stale output',
  'hidden-state': 'Hidden state',
  'library-drift': 'Library drift',
  'data-changed': 'Data changed',
  'missing-resource': 'Missing resource',
  unknown: 'Unknown cause'
};

/** The cause chip of a mismatching / failing cell (null: the report names no cause, e.g. nbkit.verify/1). */
export function causeChip(cell: VerifyCell): ICauseChip | null {
  const cause = cell.cause;
  if (!cause) {
    return null;
  }
  const evidence = cause.evidence ?? [];
  return {
    kind: cause.kind,
    label: CAUSE_LABEL[cause.kind] ?? cause.kind,
    className: `jp-nbkit-cause jp-nbkit-cause-${cause.kind}`,
    summary:
      cell.consequence_of !== undefined && cell.consequence_of !== null
        ? `${cause.summary} (fix ${cellLabel(cell.consequence_of)} first)`
        : cause.summary,
    title: [...evidence, `Fix: ${cause.fix}`].join('\n'),
    fix: cause.fix
  };
}

/** A one-click fix for a cell's cause, where one exists. */
export interface ICauseFix {
  action: CauseFixAction;
  label: string;
  ariaLabel: string;
}

export type CauseFixAction = 'seed' | 'ignore-output' | 'verify-pinned';

/**
 * The panel's one-click fix for a cause: randomness gets a `%nbkit seed` cell, a clock-dependent
 * output the `nbkit:ignore-output` tag, library drift a verify in the pinned environment. Other
 * causes need a person (or `nbkit verify --update`), so they get no button.
 */
export function causeFix(cell: VerifyCell): ICauseFix | null {
  switch (cell.cause?.kind) {
    case 'randomness':
      return {
        action: 'seed',
        label: 'Insert %nbkit seed',
        ariaLabel: `Insert a %nbkit seed cell (cell ${cell.index} draws unseeded random numbers)`
      };
    case 'clock':
      return {
        action: 'ignore-output',
        label: 'Ignore this output',
        ariaLabel: `Tag cell ${cell.index} nbkit:ignore-output (its output depends on the clock)`
      };
    case 'library-drift':
      return {
        action: 'verify-pinned',
        label: 'Verify in pinned environment',
        ariaLabel: 'Verify again in an environment built from the notebook\'s pins'
      };
    default:
      return null;
  }
}

export interface IDiffView {
  cell: VerifyCell;
  /** The cause's one-click fix (null: none). */
  fix: ICauseFix | null;
  head: { key: string; text: string; ariaLabel: string };
  /** Why it does not reproduce (null: no cause in the report). */
  cause: ICauseChip | null;
  /** The cell's message, when the body does not show it already. */
  note: string | null;
  body: DiffBody;
}

export type VerifyView =
  | { kind: 'progress'; max: number; value: number | undefined; text: string }
  | { kind: 'cancelled'; cancelError: string | null }
  | { kind: 'error'; text: string }
  | {
      kind: 'result';
      status: string;
      ok: boolean;
      verdict: string;
      detail: string;
      diffs: IDiffView[];
      /** Matches that were not exact, one line per kind ("Matched, not exactly: numpy 2 scalar repr (cells 1, 3)"). */
      notes: string[];
    }
  | { kind: 'no-report' };

/**
 * The notes of matching cells grouped by kind, as the text report groups them: a note's kinds are
 * joined by "; " and carry their details in parentheses, which are left out here.
 */
export function noteLines(cells: VerifyCell[]): string[] {
  const groups = new Map<string, number[]>();
  for (const cell of cells) {
    if (cell.status !== 'match' || !cell.note) {
      continue;
    }
    for (const part of cell.note.split('; ')) {
      if (part.startsWith("the figure's shape changed")) {
        continue; // the second half of the image note
      }
      const kind = part.split(' (')[0];
      const list = groups.get(kind) ?? [];
      if (!list.includes(cell.index)) {
        list.push(cell.index);
      }
      groups.set(kind, list);
    }
  }
  return [...groups.entries()].map(
    ([kind, cells]) => `Matched, not exactly: ${kind} (${cells.length === 1 ? 'cell' : 'cells'} ${cells.join(', ')})`
  );
}

/** The class of one line of a unified diff. */
export function diffLineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('@@')) {
    return 'jp-nbkit-diffhead';
  }
  return line.startsWith('+')
    ? 'jp-nbkit-add'
    : line.startsWith('-')
      ? 'jp-nbkit-del'
      : '';
}

function imageSide(
  cell: VerifyCell,
  label: string,
  mime: string,
  data: string | null | undefined
): IImageSide {
  return {
    label,
    src: data ? imageSource(mime, data) : null,
    alt: `${label} output of cell ${cell.index}`
  };
}

export function diffBody(cell: VerifyCell): DiffBody {
  const images = cell.images;
  if (images && (images.expected || images.actual)) {
    // images as decoded PNG by the server: stored and re-executed side by side, then the diff
    return {
      kind: 'images',
      sides: [
        imageSide(cell, 'Expected', 'image/png', images.expected),
        imageSide(cell, 'Actual', 'image/png', images.actual)
      ],
      difference: images.diff
        ? imageSide(cell, 'Difference', 'image/png', images.diff)
        : null,
      message: cell.message || null
    };
  }
  if (
    isImageMime(cell.mime) &&
    cell.mime !== 'image/svg+xml' &&
    looksLikeBase64(cell.expected) &&
    looksLikeBase64(cell.actual)
  ) {
    return {
      kind: 'image-pair',
      sides: [
        imageSide(cell, 'Expected', cell.mime!, cell.expected),
        imageSide(cell, 'Actual', cell.mime!, cell.actual)
      ]
    };
  }
  if (cell.diff) {
    return {
      kind: 'diff',
      lines: cell.diff
        .split('\n')
        .map(line => ({ text: line + '\n', className: diffLineClass(line) }))
    };
  }
  return {
    kind: 'text',
    sides: [
      { label: 'Expected', text: cell.expected ?? cell.message ?? '' },
      { label: 'Actual', text: cell.actual ?? cell.message ?? '' }
    ]
  };
}

export function diffView(cell: VerifyCell): IDiffView {
  const body = diffBody(cell);
  return {
    cell,
    head: {
      key: `diff-${cell.index}`,
      text:
        `Cell ${cell.index}: ${cell.status === 'error' ? 'error' : 'output differs'}` +
        (cell.mime ? ` (${cell.mime})` : ''),
      ariaLabel: `Go to cell ${cell.index}: ${cell.status}`
    },
    cause: causeChip(cell),
    fix: causeFix(cell),
    note: cell.message && body.kind !== 'images' ? cell.message : null,
    body
  };
}

/** The text under the progress bar of a running verify. */
export function progressText(verify: IVerifyState): string {
  const p = verify.progress;
  const current =
    verify.status === 'cancelling'
      ? 'cancelling: stopping the kernel…'
      : p && p.current !== null && p.current !== undefined
        ? `running ${cellLabel(p.current)}`
        : verify.status === 'running'
          ? 'running'
          : verify.status === 'queued'
            ? 'waiting for a free slot'
            : 'starting a fresh kernel';
  const total = p?.cells ?? 0;
  return total ? `${p?.done ?? 0} of ${total} cells · ${current}` : current;
}

/** The verify section (null: hidden, before the first verify). */
export function verifyView(
  verify: IVerifyState,
  verifying: boolean,
  result: VerifyNotebook | null
): VerifyView | null {
  if (verify.status === 'idle') {
    return null;
  }
  if (verifying) {
    const total = verify.progress?.cells ?? 0;
    return {
      kind: 'progress',
      max: total || 1,
      value: total ? (verify.progress?.done ?? 0) : undefined,
      text: progressText(verify)
    };
  }
  if (verify.status === 'cancelled') {
    return { kind: 'cancelled', cancelError: verify.error ? `Cancel failed: ${verify.error}` : null };
  }
  if (verify.status === 'error') {
    return { kind: 'error', text: `Verify could not run: ${verify.error}` };
  }
  if (verify.status !== 'done') {
    return null;
  }
  if (!result) {
    return { kind: 'no-report' };
  }
  return {
    kind: 'result',
    status: result.status,
    ok: result.status === 'reproducible',
    verdict: VERIFY_TEXT[result.status] ?? result.status,
    detail:
      (result.message ? ` — ${result.message}` : '') +
      (result.duration_s !== undefined ? ` (${result.duration_s.toFixed(1)} s)` : ''),
    diffs: problemCells(result).map(diffView),
    notes: noteLines(result.cells ?? [])
  };
}

// ---- team policy banner --------------------------------------------------------------------

export interface IPolicyFixView {
  violation: PolicyViolation;
  /** data-key: stable across re-renders, so focus stays on the button. */
  key: string;
  label: string;
  ariaLabel: string;
  /** The command that does the same in a terminal, when there is one. */
  title: string;
}

export interface IPolicyView {
  /** `violations`: the banner; `ok`: a quiet line; `error`: the policy could not be checked. */
  kind: 'ok' | 'violations' | 'error';
  text: string;
  /** "policy from pyproject.toml", "policy from server configuration", or both. */
  source: string;
  /** Where each source's keys came from (the file's path relative to the server's root). */
  sourceTitle: string;
  fixes: IPolicyFixView[];
}

/** "policy from pyproject.toml" / "policy from server configuration and pyproject.toml". */
export function policySourceText(sources: PolicySource[]): string {
  const labels = Array.from(new Set(sources.map(s => s.label)));
  return labels.length ? `policy from ${labels.join(' and ')}` : '';
}

function policySourceTitle(sources: PolicySource[]): string {
  return sources
    .map(s => `${s.path ?? s.label}: ${s.keys.join(', ')}`)
    .join('; ');
}

/**
 * The policy banner for a verdict: nothing when there is no verdict or no policy applies; a
 * quiet line when the notebook meets it; else the violations, each with its fix as a button.
 */
export function policyView(verdict: PolicyVerdict | null): IPolicyView | null {
  if (!verdict || (!verdict.configured && !verdict.error)) {
    return null;
  }
  const source = policySourceText(verdict.sources);
  const sourceTitle = policySourceTitle(verdict.sources);
  if (verdict.error) {
    return {
      kind: 'error',
      text: `The team policy could not be checked: ${verdict.error}`,
      source,
      sourceTitle,
      fixes: []
    };
  }
  if (verdict.ok || !verdict.violations.length) {
    return { kind: 'ok', text: 'Meets the team policy', source, sourceTitle, fixes: [] };
  }
  const seen = new Set<string>();
  const fixes: IPolicyFixView[] = [];
  for (const v of verdict.violations) {
    if (seen.has(v.fix.action)) {
      continue;
    }
    seen.add(v.fix.action);
    fixes.push({
      violation: v,
      key: `policy-fix-${v.fix.action}`,
      label: v.fix.label,
      ariaLabel: `Fix "${v.message}": ${v.fix.label}`,
      title: v.fix.command ? `${v.fix.label} (in a terminal: ${v.fix.command})` : v.fix.label
    });
  }
  return {
    kind: 'violations',
    text: `This notebook does not meet the team policy: ${verdict.violations
      .map(v => v.message)
      .join(', ')}`,
    source,
    sourceTitle,
    fixes
  };
}
