// The page's side of files: offering a result as a download. What the files hold, and reading them
// back (positions, velocities, momenta, a result JSON), is src/io/formats.ts, shared with the CLI.

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
