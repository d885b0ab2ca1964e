// The pairing study (sec. IV.B, eq. 35-46) on the CPU, as the CLI and the app's Studies panel run it:
// the ground state of the softened 1D Coulomb well (eq. 45) at each a_m/a against eq. 46
// (src/physics/pairing.ts), one ratio at a time under the one Stop rule, then the two rings'
// pairing temperatures.
import {
  kPairingRings,
  pairingPoint,
  ringTemperature,
  type PairingPoint,
  type RingTemperature,
} from '../../physics/pairing.ts';
import { sweep, type StudyHooks } from '../study.ts';

export interface PairingRun {
  readonly points: PairingPoint[];
  readonly rings: RingTemperature[];
  readonly stopped: boolean;
}

/** The ground state at every ratio (a_m/a, ascending), then the rings'. */
export async function runPairing(ratios: readonly number[], hooks: StudyHooks = {}): Promise<PairingRun> {
  const { results, stopped } = await sweep(ratios, hooks, async (ratio, k) => {
    hooks.progress?.(`pairing: a_m/a = ${ratio.toPrecision(4)}`, k / ratios.length);
    return pairingPoint(ratio);
  });
  if (stopped) return { points: results, rings: [], stopped };
  await hooks.pause?.();
  return { points: results, rings: kPairingRings.map((ring) => ringTemperature(ring)), stopped };
}
