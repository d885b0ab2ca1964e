// Types of results-text.mjs for the tests that call it: the fields of results.json's
// `scaling.studies` (src/studies/scaling/report.ts) that its sentences read.

export interface ScalingStudyFields {
  readonly geometry: string;
  readonly model: string;
  readonly dimension: number;
  readonly critical_electrons_log10?: number | null;
  readonly fit: {
    readonly law: string;
    readonly coefficient: number;
    readonly uncertainty: number;
    readonly theory: number | null;
    readonly exponent: number | null;
    readonly free_exponent: number | null;
    readonly free_exponent_coefficient: number | null;
  } | null;
}

export function freeExponentLines(studies: readonly ScalingStudyFields[]): string[];
export function ringPrefactorLines(studies: readonly ScalingStudyFields[]): string[];
