// The Larmor study's options: the paper's N and Levy et al.'s field and ring, as the CLI's flags and
// the app's Studies fields default to them.
import { kLevyRadiusMetres } from '../../physics/larmor.ts';
import { kLevy } from '../../physics/paper.ts';

export const kLarmorDefaults = {
  n: 100,
  fieldTesla: kLevy.fieldTesla,
  radiusMetres: kLevyRadiusMetres,
} as const;
