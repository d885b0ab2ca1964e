// The pairing study's options: the a_m/a values, their default and their range.
import { kDefaultPairingRatios, pairingRatioProblem } from '../../physics/pairing.ts';

/**
 * The ratios of texts (each one value or several separated by commas), ascending, each read by
 * `parse` (which names the flag or field in its error) and checked against the well's range; the
 * default list without any.
 */
export function pairingRatios(
  texts: readonly string[] | undefined,
  parse: (text: string, check: (x: number) => string | null) => number,
): number[] {
  if (!texts) return kDefaultPairingRatios;
  const ratios = texts.flatMap((text) => text.split(',')).map((text) => parse(text, pairingRatioProblem));
  return [...ratios].sort((a, b) => a - b);
}
