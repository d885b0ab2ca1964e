// The pairing study's options: the a_m/a values, their default and their range.
import { kDefaultPairingRatios, pairingRatioProblem } from '../../physics/pairing.ts';
import { numberList } from '../study.ts';

/**
 * The ratios of texts (each one value or several separated by commas), ascending, each checked against
 * the well's range and none given twice (the sweep would run it twice and write its files over
 * themselves), refusals naming `name` (the flag); the default list without any.
 */
export function pairingRatios(texts: readonly string[] | undefined, name: string): number[] {
  if (!texts) return kDefaultPairingRatios;
  const ratios = numberList('ratios', name, texts, pairingRatioProblem, { refuseRepeats: true });
  return ratios.sort((a, b) => a - b);
}
