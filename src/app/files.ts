// The page's side of files: offering a result as a download, and taking the text of a file the user
// loads. What the files hold, and reading them back (positions, velocities, momenta, a result JSON),
// is src/io/formats.ts, shared with the CLI.
import { InputError } from '../physics/input-error.ts';
import { formatBytes } from './diagnostics.ts';
import { kMaxElectrons } from './state.ts';

/**
 * Bytes of a loaded file per electron of the N field's limit: a saved result (solve --out FILE.csv
 * or FILE.json, or the page's own download) takes 180-225 bytes an electron, its positions,
 * velocities and momenta at float64's 17 digits.
 */
const kMaxFileBytesPerElectron = 256;
export const kMaxFileBytes = kMaxElectrons * kMaxFileBytesPerElectron;

/**
 * Refuses a file larger than a result of the N field's limit of electrons before it is read, as
 * checkFileElectrons refuses one of more electrons once read: reading it would block the page for
 * seconds first.
 */
function checkFileBytes(bytes: number, name: string): void {
  if (bytes > kMaxFileBytes) {
    throw new InputError(
      `${name}: ${formatBytes(bytes)}, but the page reads at most ${formatBytes(kMaxFileBytes)}, ` +
        `a result of ${kMaxElectrons} electrons (the CLI takes more)`,
      'result',
    );
  }
}

/** The text of a file the user loaded, refused unread where it is too large (checkFileBytes). */
export async function loadedText(file: Pick<File, 'name' | 'size' | 'text'>): Promise<string> {
  checkFileBytes(file.size, file.name);
  return file.text();
}

/** Offers `text` as a download named `name`. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download by the time the event loop comes back.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
