// The Larmor study's options: the paper's N and Levy et al.'s field and ring, as the CLI's flags and
// the app's Studies fields default to them.
import { kLevyRadiusMetres } from '../../physics/larmor.ts';
import { kLevy } from '../../physics/paper.ts';
import type { IntegerRange } from '../study.ts';

export const kLarmorDefaults = {
  n: 100,
  fieldTesla: kLevy.fieldTesla,
  radiusMetres: kLevyRadiusMetres,
} as const;

/** Electrons on the ring: any count a double holds exactly. */
export const kLarmorElectrons: IntegerRange = { min: 1, max: Number.MAX_SAFE_INTEGER };
