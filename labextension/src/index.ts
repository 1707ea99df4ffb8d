/**
 * The nbkit JupyterLab extension: plugin definitions only. The panel renders (panel.ts), the
 * state lives in plain classes (model.ts), the REST calls in api.ts, the glue in controller.ts.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import nbkitSvg from '../style/icons/nbkit.svg';
import pinSvg from '../style/icons/pin.svg';
import verifySvg from '../style/icons/verify.svg';
import { NbkitAPI } from './api';
import { NbkitController } from './controller';
import { DEFAULT_SETTINGS, IPanelSettings } from './model';
import { NbkitPanel } from './panel';

const PLUGIN_ID = 'nbkit-jupyterlab:plugin';

export const nbkitIcon = new LabIcon({ name: 'nbkit-jupyterlab:nbkit', svgstr: nbkitSvg });
export const pinIcon = new LabIcon({ name: 'nbkit-jupyterlab:pin', svgstr: pinSvg });
export const verifyIcon = new LabIcon({ name: 'nbkit-jupyterlab:verify', svgstr: verifySvg });

export namespace CommandIDs {
  export const open = 'nbkit:open';
  export const lint = 'nbkit:lint';
  export const verify = 'nbkit:verify';
  export const verifyPinned = 'nbkit:verify-pinned';
  export const cancelVerify = 'nbkit:cancel-verify';
  export const pin = 'nbkit:pin-environment';
  export const insertTemplate = 'nbkit:insert-template';
}

function readSettings(settings: ISettingRegistry.ISettings): IPanelSettings {
  const get = <T>(key: string, fallback: T): T => {
    const value = settings.get(key).composite;
    return value === undefined || value === null ? fallback : (value as T);
  };
  return {
    ...DEFAULT_SETTINGS,
    autoLint: get('autoLint', DEFAULT_SETTINGS.autoLint),
    profile: get('profile', DEFAULT_SETTINGS.profile),
    ignore: get('ignore', DEFAULT_SETTINGS.ignore),
    debounceMs: get('debounceMs', DEFAULT_SETTINGS.debounceMs),
    verifyEnv: get('verifyEnv', DEFAULT_SETTINGS.verifyEnv)
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'A sidebar for the active notebook: layout checklist, lint findings, environment pinning and verify.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILabShell, ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    labShell: ILabShell | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ) => {
    const api = new NbkitAPI();
    let controller: NbkitController;
    const panel = new NbkitPanel({
      selectFinding: f => controller.selectFinding(f),
      selectCell: (index, id) => controller.selectCell(index, id),
      insertSection: item => controller.insertSection(item),
      lint: () => controller.lint(),
      verify: () => controller.verify(),
      cancelVerify: () => controller.cancelVerify(),
      pin: () => controller.pin(),
      policyFix: violation => controller.policyFix(violation),
      causeFix: (action, index, id) => controller.causeFix(action, index, id)
    });
    panel.title.icon = nbkitIcon;
    controller = new NbkitController(app, tracker, api, panel);
    app.shell.add(panel, 'left', { rank: 650, type: 'nbkit' });
    restorer?.add(panel, 'nbkit-panel');

    const hasNotebook = () => tracker.currentWidget !== null;
    const { commands } = app;
    commands.addCommand(CommandIDs.open, {
      label: 'Show the nbkit Panel',
      caption: 'Show the nbkit panel in the left sidebar',
      icon: args => (args.isPalette ? undefined : nbkitIcon),
      execute: () => {
        if (labShell) {
          labShell.expandLeft();
        }
        app.shell.activateById(panel.id);
      }
    });
    commands.addCommand(CommandIDs.lint, {
      label: 'Lint Notebook with nbkit',
      caption: 'Lint the current notebook (unsaved changes included)',
      isEnabled: hasNotebook,
      execute: () => controller.lint()
    });
    commands.addCommand(CommandIDs.verify, {
      label: args => (args.toolbar ? '' : 'Verify Notebook with nbkit'),
      caption: 'Re-run the notebook in a fresh kernel and compare its outputs with the stored ones',
      icon: args => (args.isPalette ? undefined : verifyIcon),
      isEnabled: hasNotebook,
      execute: () => {
        app.shell.activateById(panel.id);
        controller.verify();
      }
    });
    commands.addCommand(CommandIDs.verifyPinned, {
      label: 'Verify Notebook in its Pinned Environment with nbkit',
      caption:
        'Re-run the notebook in a fresh kernel of an environment built from its pins (uv) and compare its outputs',
      isEnabled: hasNotebook,
      execute: () => {
        app.shell.activateById(panel.id);
        controller.verify(undefined, 'pinned');
      }
    });
    commands.addCommand(CommandIDs.cancelVerify, {
      label: 'Cancel nbkit Verify',
      caption: 'Stop the running verify of the current notebook',
      isEnabled: hasNotebook,
      execute: () => controller.cancelVerify()
    });
    commands.addCommand(CommandIDs.pin, {
      label: args => (args.toolbar ? '' : 'Pin Environment'),
      caption:
        "Record the kernel environment (Python version, imported packages' versions) into the notebook",
      icon: args => (args.isPalette ? undefined : pinIcon),
      isEnabled: hasNotebook,
      execute: args =>
        controller.pinNotebook(
          tracker.currentWidget,
          typeof args.seed === 'number' ? args.seed : undefined
        )
    });
    commands.addCommand(CommandIDs.insertTemplate, {
      label: 'Insert Layout Template',
      caption:
        'A blank notebook gets the standard layout; otherwise the headings of the missing sections are inserted',
      isEnabled: hasNotebook,
      execute: () => controller.insertTemplate()
    });
    tracker.currentChanged.connect(() => {
      commands.notifyCommandChanged();
    });

    if (palette) {
      const category = 'nbkit';
      for (const command of [
        CommandIDs.open,
        CommandIDs.lint,
        CommandIDs.verify,
        CommandIDs.verifyPinned,
        CommandIDs.cancelVerify,
        CommandIDs.pin,
        CommandIDs.insertTemplate
      ]) {
        palette.addItem({ command, category, args: { isPalette: true } });
      }
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = () => controller.updateSettings(readSettings(settings));
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.warn('nbkit: could not load the settings; using the defaults.', reason);
        });
    }
  }
};

export default plugin;
