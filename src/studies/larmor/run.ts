// The Larmor study (eq. 13-18, sec. II.B): the ring's current, flux and moment, and the readings of
// Levy et al. and Chandrasekhar et al. that the paper makes with them; closed forms of
// src/physics/larmor.ts, instantaneous on any device.
import {
  chandrasekharReading,
  larmorRing,
  levyReading,
  type ChandrasekharReading,
  type LarmorRing,
  type LevyReading,
} from '../../physics/larmor.ts';

export interface LarmorOptions {
  readonly n: number;
  readonly fieldTesla: number;
  readonly radiusMetres: number;
}

export interface LarmorRun {
  readonly options: LarmorOptions;
  readonly ring: LarmorRing;
  readonly levy: LevyReading;
  readonly chandrasekhar: ChandrasekharReading;
}

export function runLarmor(options: LarmorOptions): LarmorRun {
  return {
    options,
    ring: larmorRing(options.n, options.fieldTesla, options.radiusMetres),
    levy: levyReading(),
    chandrasekhar: chandrasekharReading(options.radiusMetres),
  };
}
