// The browser app's entry: acquires WebGPU (or says plainly that there is none and how to get it),
// then wires the view, the diagnostics, the panel and the session, and runs what the link asks for
// (on first load, the default scenario: a rotating sphere of 500 electrons, solved).
import './style.css';
import { acquireDevice, GpuError, type GpuContext } from '../gpu/device.ts';
import { Diagnostics, element } from './diagnostics.ts';
import { Panel, type PanelAction } from './panel.ts';
import { Session, type Status } from './session.ts';
import { isStudyAction, kQueryKeys, parametersFromQuery, type Parameters } from './state.ts';
import { Studies } from './studies.ts';
import { StudiesView } from './studies-view.ts';
import { ParticleView } from './view.ts';

let finishedRuns = 0;

/**
 * document.body.dataset.status, and data-runs: how many runs have finished, so that a test that
 * clicks an action can wait for that run's end even when the status was already 'converged'.
 */
function setStatus(status: Status): void {
  const body = document.body;
  if (body.dataset.status === 'running' && status !== 'running') body.dataset.runs = String(++finishedRuns);
  body.dataset.status = status;
}

function showNoWebGpu(reason: string): void {
  element('no-webgpu-reason').textContent = reason;
  element('no-webgpu').hidden = false;
  setStatus('no-webgpu');
}

/** The device, or null after the no-WebGPU page has been shown. */
async function openDevice(onError: (error: GpuError) => void): Promise<GpuContext | null> {
  if (!window.isSecureContext) {
    showNoWebGpu(`This page was opened from ${location.origin}, which is not a secure context.`);
    return null;
  }
  if (!navigator.gpu) {
    showNoWebGpu('navigator.gpu is not defined: WebGPU is switched off or not implemented in this browser.');
    return null;
  }
  try {
    return await acquireDevice({ onDeviceError: onError });
  } catch (error) {
    if (!(error instanceof GpuError)) throw error;
    showNoWebGpu(
      'navigator.gpu exists but gave no adapter (WebGPU is off for this GPU, or no GPU driver is usable): ' +
        error.message.replace(/; use --device cpu.*$/, '.'),
    );
    return null;
  }
}

/** Unknown keys a notice names at most, and the characters of each: a link may be hostile. */
const kNamedKeys = 5;
const kKeyCharacters = 40;

/** The notice of a link's unknown keys, naming them and the keys a link may hold. */
function unknownParameters(keys: readonly string[]): string {
  const quoted = keys
    .slice(0, kNamedKeys)
    .map((key) => `'${key.length > kKeyCharacters ? `${key.slice(0, kKeyCharacters)}…` : key}'`);
  if (keys.length > kNamedKeys) quoted.push(`${keys.length - kNamedKeys} more`);
  const named = quoted.join(', ');
  return (
    `The link's ${keys.length === 1 ? 'parameter' : 'parameters'} ${named} ` +
    `${keys.length === 1 ? 'is' : 'are'} unknown and ignored; a link may hold ${kQueryKeys.join(', ')}.`
  );
}

/**
 * Drops anywhere on the page, and the panel's load buttons, end in session.load: one file at a time,
 * so that a drop of several says so rather than load one of them unsaid.
 */
function wireFiles(session: Session, diagnostics: Diagnostics): void {
  const input = element<HTMLInputElement>('file-input');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = '';
    if (file) void session.load(file);
  });
  const target = element('drop-target');
  let depth = 0;
  window.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    depth++;
    target.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) target.hidden = true;
  });
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    target.hidden = true;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length > 1) {
      const names = files.map((file) => file.name).join(', ');
      diagnostics.message(`Drop one file at a time: ${files.length} were dropped (${names}), none loaded.`);
    } else if (files.length === 1) void session.load(files[0]);
  });
}

async function main(): Promise<void> {
  setStatus('loading');
  const { parameters, errors, unknown } = parametersFromQuery(location.search);
  let session: Session | null = null;
  // A loss is watched on device.lost itself (watchLoss): it reports a device destroyed in use too.
  const onDeviceError = (error: GpuError) => {
    if (error.kind !== 'lost') session?.deviceFailed(error);
  };
  const gpu = await openDevice(onDeviceError);
  if (!gpu) return;

  const diagnostics = new Diagnostics();
  diagnostics.device(gpu);
  const view = new ParticleView(
    gpu,
    element<HTMLCanvasElement>('view'),
    element<HTMLCanvasElement>('legend'),
    element('colour-note'),
    element('draw-note'),
    onDeviceError,
  );
  await view.initialise();
  const studiesView = new StudiesView();
  const studies = new Studies(gpu, studiesView);
  const current = new Session(parameters, { gpu, view, diagnostics, studies, setStatus });
  session = current;

  const act = (action: PanelAction) => {
    // Every study's card runs alike; the rest are named one by one, and the default's `never` makes a
    // new panel action without a case here fail typecheck rather than do nothing.
    if (isStudyAction(action)) {
      void current.run(action);
      return;
    }
    switch (action) {
      case 'build':
      case 'momenta':
      case 'solve':
      case 'spectrum':
        studiesView.showTab('electrons');
        void current.run(action);
        break;
      case 'stop':
        current.stop();
        break;
      case 'load':
        element('file-input').click();
        break;
      case 'downloadJson':
        current.downloadJson();
        break;
      case 'downloadCsv':
        current.downloadCsv();
        break;
      case 'resetView':
        studiesView.showTab('electrons');
        view.reframe();
        break;
      default: {
        const unhandled: never = action;
        throw new Error(`no handler for the panel action ${String(unhandled)}`);
      }
    }
  };
  const panel = new Panel(element('panel'), parameters, {
    changed: (key) => current.changed(key),
    action: act,
  });
  current.attach(panel);
  element('progress-stop').addEventListener('click', () => current.stop());
  // Escape stops a run from anywhere but a field typed in (lil-gui's numbers are type=number on a touch
  // screen) or a list, whose own key it is there.
  window.addEventListener('keydown', (event) => {
    const target = event.target;
    const typing = target instanceof HTMLInputElement && (target.type === 'text' || target.type === 'number');
    if (event.key === 'Escape' && !typing && !(target instanceof HTMLSelectElement)) current.stop();
  });
  wireFiles(current, diagnostics);

  // After a loss (a driver reset, a GPU process crash), a new device for the view, the studies and
  // the session: the page stays as it was, and the next run works.
  let device = gpu.device;
  const watchLoss = (context: GpuContext) => {
    device = context.device;
    void context.device.lost.then(async (info) => {
      const reason = info.reason === 'destroyed' ? 'destroyed while in use' : info.message;
      const why = `The GPU device was lost (${reason || 'no reason given'})`;
      current.deviceLost(why);
      let next: GpuContext | null;
      try {
        next = await acquireDevice({ onDeviceError });
        await view.useDevice(next);
      } catch (error) {
        if (!(error instanceof GpuError)) throw error;
        next = null;
      }
      if (next) {
        studies.useDevice(next);
        diagnostics.device(next);
        watchLoss(next);
      }
      current.useDevice(next, why);
    });
  };
  watchLoss(gpu);
  // The e2e tests' ways to lose the device as a driver reset would (e2e/app.test.ts), harmless to a
  // user, who would get a new device; and to lower the view's draw budget (ParticleView.drawAtMost).
  Object.assign(window, {
    __darwinBreit: {
      loseDevice: () => device.destroy(),
      drawAtMost: (electrons: number) => view.drawAtMost(electrons),
    },
  });

  current.preview();
  // After the preview, which clears the N field's own errors once the defaults draw.
  const bad = Object.entries(errors) as [keyof Parameters, string][];
  for (const [key, message] of bad) panel.fieldError(key, `from the link: ${message}`);
  const unknownNotice = unknown.length > 0 ? unknownParameters(unknown) : '';
  // A link the page does not run stays in the address bar as given, so that a reload shows the same
  // notice rather than running the defaults in place of its bad values or mistyped keys; and the
  // parameters forget its run, so that the link a field edit writes does not run on reload either.
  const notRun = (notice: string, kind: 'error' | 'info', status: Status) => {
    parameters.run = 'none';
    diagnostics.message(notice, kind);
    setStatus(status);
  };
  if (bad.length > 0) {
    notRun(
      'The link has values this page cannot use, each refused under its field; defaults are in force.' +
        (unknownNotice && ` ${unknownNotice}`),
      'error',
      'failed',
    );
    return;
  }
  // A mistyped key would otherwise run the defaults in its place: say so, and run nothing.
  if (unknownNotice) {
    notRun(`${unknownNotice} Nothing was run.`, 'info', 'idle');
    return;
  }
  if (parameters.source === 'file' || parameters.velocity === 'file') {
    notRun('This link was made with a file: load it (Files › load) and run again.', 'info', 'idle');
    return;
  }
  current.updateUrl();
  if (parameters.run === 'none') setStatus('idle');
  else await current.run(parameters.run);
}

main().catch((error: unknown) => {
  // Nothing else catches here: show it on the page, and keep the stack for a developer.
  console.error(error);
  const message = element('message');
  message.textContent = `The page failed to start: ${error instanceof Error ? error.message : String(error)}`;
  message.className = 'error';
  setStatus('failed');
});
