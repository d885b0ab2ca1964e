// Each study's reader of its saved JSON (the app's Files › load), by its command: a study the app's
// card loads without one here fails typecheck. For the tests that every reader refuses a bad header
// alike, and that the committed results load back.
import type { StudyAction } from '../../src/app/state.ts';
import { larmorFromJson } from '../../src/studies/larmor/report.ts';
import { londonFromJson } from '../../src/studies/london/report.ts';
import { pairingFromJson } from '../../src/studies/pairing/report.ts';
import { responseFromJson } from '../../src/studies/response/report.ts';
import { scalingRunFromJson } from '../../src/studies/scaling/report.ts';

export const kStudyReaders = {
  london: londonFromJson,
  pairing: pairingFromJson,
  larmor: larmorFromJson,
  scaling: scalingRunFromJson,
  response: responseFromJson,
} satisfies Record<StudyAction, (json: Record<string, unknown>, name: string) => unknown>;
