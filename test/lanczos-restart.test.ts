// Thick-restart Lanczos (src/solvers/lanczos.ts, src/engine/lanczos.ts) against closed forms: the
// ring's circulant eigenvalues (src/physics/ring.ts) at sizes where a basis of the old fixed length
// ran out of steps, dense Householder-QL spectra elsewhere, the restart itself on an operator whose
// Lanczos basis is known exactly, the stopping tests on a 2x2 T_j, and the memory the basis takes.
//
// Tolerances: float64 eigenvalues within the residual bound tol * max|theta| the run converged to
// (|theta - lambda| <= ||A y - theta y|| for a unit y); float32 (GPU) within 1e-5, as
// test/gpu-engine.test.ts.
import { describe, expect, it } from 'vitest';
import { massMatrix, splitMassMatrix } from '../src/run/backend.ts';
import {
  householderTridiagonal,
  symmetricEigenvalues,
  tridiagonalEigen,
  tridiagonalEigenvectors,
} from '../src/solvers/eigen.ts';
import {
  kMinLanczosBasis,
  lanczos,
  lanczosNotStarted,
  lanczosVerdict,
  startLanczos,
  thickRestart,
} from '../src/solvers/lanczos.ts';
import { jacobiScaled, massSpectrum } from '../src/solvers/spectrum.ts';
import type { LinearOperator, Vector } from '../src/solvers/types.ts';
import { darwinSystem as makeSystem, ringSpectrum } from './helpers/systems.ts';

/** A dense symmetric row-major matrix as a float64 operator. */
function denseOperator(data: Float64Array, size: number): LinearOperator {
  return {
    size,
    precision: 'float64',
    apply(x: Vector, y: Vector) {
      for (let i = 0; i < size; i++) {
        let sum = 0;
        for (let j = 0; j < size; j++) sum += data[i * size + j] * x[j];
        y[i] = sum;
      }
    },
    diagonal: () => Float64Array.from({ length: size }, (_, i) => data[i * size + i]),
  };
}

describe('thick-restart Lanczos in float64', () => {
  it('ring N=1000 azimuthal eps=1e-3: the dense bottom cluster converges to tol with the default basis', () => {
    // The bottom of the circulant is a cluster: lambda_1 - lambda_0 is 1.6e-6 of the spread, so
    // 300 steps of the old basis stopped at diverged_max_it with lambda_min off in the 6th digit.
    const exact = ringSpectrum(1000, 1e-3);
    expect(exact[1] - exact[0]).toBeLessThan(2e-6);
    const spectrum = massSpectrum(splitMassMatrix(makeSystem('ring', 1000, 'azimuthal', 3, 1e-3)), 1000);
    const { lanczos: result } = spectrum;
    expect(result.reason).toBe('converged_tol');
    expect(result.iterations).toBeGreaterThan(300);
    expect(result.restarts).toBeGreaterThan(0);
    const bound = 1e-10 * exact[999];
    expect(Math.abs(spectrum.lambdaMin - exact[0])).toBeLessThanOrEqual(bound);
    expect(Math.abs(spectrum.lambdaMax - exact[999])).toBeLessThanOrEqual(bound);
  });

  it('a small basis restarts many times and still finds the ring extremes (azimuthal, N=300)', () => {
    const epsilon = 0.01;
    const exact = ringSpectrum(300, epsilon);
    const matrix = massMatrix(makeSystem('ring', 300, 'azimuthal', 3, epsilon));
    const result = lanczos(jacobiScaled(matrix), { basisSize: 12 });
    expect(result.reason).toBe('converged_tol');
    expect(result.restarts).toBeGreaterThan(10);
    const bound = 1e-10 * exact[299];
    expect(Math.abs(result.lambdaMin - exact[0])).toBeLessThanOrEqual(bound);
    expect(Math.abs(result.lambdaMax - exact[299])).toBeLessThanOrEqual(bound);
  });

  for (const [label, system, basisSize] of [
    ['sphere N=60 vector 3D', makeSystem('sphere', 60, 'vector', 3, 0.02), 16],
    ['disk N=80 azimuthal 3D', makeSystem('disk', 80, 'azimuthal', 3, 0.01, 0.02), 10],
    ['ball N=50 vector 3D, softened', makeSystem('ball', 50, 'vector', 3, 0.05, 0.1), 24],
  ] as const) {
    it(`${label}, basis ${basisSize}: matches the dense Householder-QL spectrum to 1e-10`, () => {
      const matrix = massMatrix(system);
      const { size } = matrix;
      const scaled = jacobiScaled(matrix);
      const dense = new Float64Array(size * size);
      const column = new Float64Array(size);
      const e = new Float64Array(size);
      for (let j = 0; j < size; j++) {
        e.fill(0);
        e[j] = 1;
        scaled.apply(e, column);
        for (let i = 0; i < size; i++) dense[i * size + j] = column[i];
      }
      const reference = symmetricEigenvalues(dense, size);
      const result = lanczos(scaled, { basisSize });
      expect(result.reason).toBe('converged_tol');
      expect(result.restarts).toBeGreaterThan(0);
      const bound = 1e-10 * reference[size - 1];
      expect(Math.abs(result.lambdaMin - reference[0])).toBeLessThanOrEqual(bound);
      expect(Math.abs(result.lambdaMax - reference[size - 1])).toBeLessThanOrEqual(bound);
    });
  }

  it('the smallest basis converges (sphere N=60 eps 0.01); one vector fewer is refused', () => {
    // At --basis 5 and 6 a restart kept one Ritz vector at each end: 10 000 products, diverged_max_it.
    const spectrum = massSpectrum(splitMassMatrix(makeSystem('sphere', 60, 'vector', 3, 0.01)), 60, {
      basisSize: kMinLanczosBasis,
    });
    expect(spectrum.lanczos.reason).toBe('converged_tol');
    expect(spectrum.lanczos.restarts).toBeGreaterThan(0);
    expect(() => lanczos(massMatrix(makeSystem('sphere', 60, 'vector', 3, 0.01)), { basisSize: 7 })).toThrow(
      'the Lanczos basis needs at least 8 vectors, got 7',
    );
  });

  it('maxIterations bounds the products over all restarts; 1 gives diverged_max_it', () => {
    const matrix = jacobiScaled(massMatrix(makeSystem('ring', 300, 'azimuthal', 3, 0.01)));
    const one = lanczos(matrix, { maxIterations: 1, basisSize: 12 });
    expect(one.reason).toBe('diverged_max_it');
    expect(one.converged).toBe(false);
    expect(one.iterations).toBe(1);
    expect(one.restarts).toBe(0);
    expect(one.ritzValues).toHaveLength(1);
    let products = 0;
    const counted: LinearOperator = { ...matrix, apply: (x, y) => (products++, matrix.apply(x, y)) };
    const limited = lanczos(counted, { maxIterations: 50, basisSize: 12 });
    expect(limited.reason).toBe('diverged_max_it');
    expect(limited.iterations).toBe(50);
    expect(products).toBe(50);
    // 11 steps fill the first cycle, each restart keeps 5 and adds 6: 11 + 6 * 6 + 3.
    expect(limited.restarts).toBe(7);
  });

  it('the basis stays basisSize vectors however many products the run takes', () => {
    const matrix = jacobiScaled(massMatrix(makeSystem('ring', 400, 'azimuthal', 3, 0.01)));
    const vectors = new Set<Vector>();
    let products = 0;
    const watched: LinearOperator = {
      ...matrix,
      apply(x, y) {
        vectors.add(x).add(y);
        products++;
        matrix.apply(x, y);
      },
    };
    const result = lanczos(watched, { basisSize: 16, tol: 1e-12, maxIterations: 400 });
    expect(result.restarts).toBeGreaterThan(20);
    expect(products).toBe(result.iterations);
    expect(products).toBeGreaterThan(200);
    // Every product reads a basis column and writes the next: the run touched 16 vectors in all.
    expect(vectors.size).toBe(16);
  });

  // A tridiagonal A has the Lanczos basis e_0, e_1, ... from e_0: T of a cycle of `steps` steps is
  // A's leading block and q_steps = e_steps, so the restart's vectors are its coefficients. A
  // separated top (5) converges well within the cycle; a separated bottom (0.1) too where given.
  // tol 1e-13 leaves the bottom pair of the second case (bound 2.5e-12) unconverged.
  for (const [label, bottomEntry, tol, keptBottom, keptTop] of [
    ['both extreme pairs converged: half the kept vectors at each end', 0.1, 1e-10, 6, 6],
    ['only the top converged: it keeps an eighth, the bottom the rest', null, 1e-13, 11, 1],
  ] as const) {
    it(`a restart keeps the Lanczos relation and every converged pair; ${label}`, () => {
      const n = 60;
      const steps = 24;
      const diagonal = Float64Array.from({ length: n }, (_, i) => 1 + 0.37 * Math.sin(3.1 * i) ** 2);
      diagonal[0] = 5;
      if (bottomEntry !== null) diagonal[1] = bottomEntry;
      const offDiagonal = Float64Array.from({ length: n - 1 }, (_, i) => 0.05 + 0.02 * Math.cos(i));
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) a[i * n + i] = diagonal[i];
      for (let i = 0; i + 1 < n; i++) a[i * n + i + 1] = a[(i + 1) * n + i] = offDiagonal[i];
      const op = denseOperator(a, n);

      const before = tridiagonalEigen(diagonal.subarray(0, steps), offDiagonal.subarray(0, steps - 1));
      const threshold = tol * before.values[steps - 1];
      const convergedBefore = before.values.filter(
        (_, k) => Math.abs(offDiagonal[steps - 1] * before.lastComponents[k]) <= threshold,
      );
      expect(convergedBefore.length).toBeGreaterThan(0);

      const restart = thickRestart(diagonal, offDiagonal, steps, tol);
      const kept = restart.coefficients.length;
      expect(kept).toBe(keptBottom + keptTop);
      // Orthonormal, and orthogonal to q_steps (= e_steps, where every kept vector is zero).
      const vectors = restart.coefficients.map((y) => {
        const x = new Float64Array(n);
        x.set(y);
        return x;
      });
      const dotOf = (x: Float64Array, y: Float64Array) => x.reduce((sum, value, i) => sum + value * y[i], 0);
      for (let i = 0; i < kept; i++) {
        for (let j = 0; j < kept; j++) {
          expect(Math.abs(dotOf(vectors[i], vectors[j]) - (i === j ? 1 : 0))).toBeLessThan(1e-13);
        }
      }
      // A X = X T' + beta' q_steps e_kept^T: the kept basis is a Lanczos basis again.
      const product = new Float64Array(n);
      for (let c = 0; c < kept; c++) {
        op.apply(vectors[c], product);
        for (let i = 0; i < n; i++) {
          let expected = restart.alphas[c] * vectors[c][i];
          if (c > 0) expected += restart.betas[c - 1] * vectors[c - 1][i];
          if (c + 1 < kept) expected += restart.betas[c] * vectors[c + 1][i];
          if (c + 1 === kept && i === steps) expected += restart.betas[c];
          expect(Math.abs(product[i] - expected)).toBeLessThan(1e-13);
        }
      }
      // T' has the kept Ritz values: the bottom and the top of T's spectrum, every converged one.
      const after = tridiagonalEigen(restart.alphas, restart.betas);
      const keptValues = [...before.values.slice(0, keptBottom), ...before.values.slice(steps - keptTop)];
      after.values.forEach((value, k) => expect(Math.abs(value - keptValues[k])).toBeLessThan(1e-13));
      for (const value of convergedBefore) {
        expect(Math.min(...after.values.map((theta) => Math.abs(theta - value)))).toBeLessThan(1e-13);
      }
      // The converged top pair is still converged: its bound, and its true residual, stay below tol.
      const top = kept - 1;
      expect(Math.abs(restart.betas[kept - 1] * after.lastComponents[top])).toBeLessThanOrEqual(threshold);
      const ritz = new Float64Array(n);
      const [eigenvector] = tridiagonalEigenvectors(restart.alphas, restart.betas, [-1]).vectors;
      for (let c = 0; c < kept; c++) for (let i = 0; i < n; i++) ritz[i] += eigenvector[c] * vectors[c][i];
      op.apply(ritz, product);
      const residual = Math.hypot(...product.map((value, i) => value - after.values[top] * ritz[i]));
      expect(residual).toBeLessThanOrEqual(threshold);
    });
  }
});

describe('lanczosVerdict', () => {
  // T_1 = [[-10, c], [c, 1]] and beta_1 = b: |theta_min| > theta_max, as for an indefinite M, where
  // mu_min ~ -1/r of a close pair dominates. Its eigenpairs in closed form: theta = mid -+ half, the
  // eigenvector's last component c / |(theta - 1, c)| at the bottom and (theta + 10) / |(c, theta + 10)|
  // at the top (each form free of cancellation at its end).
  const alphas = Float64Array.of(-10, 1);
  const c = 1e-3;
  const b = 5e-3;
  const betas = Float64Array.of(c, b);
  const mid = (alphas[0] + alphas[1]) / 2;
  const half = Math.hypot((alphas[0] - alphas[1]) / 2, c);
  const thetaMin = mid - half;
  const thetaMax = mid + half;
  const betaMin = (b * c) / Math.hypot(thetaMin - alphas[1], c);
  const betaMax = (b * (thetaMax - alphas[0])) / Math.hypot(c, thetaMax - alphas[0]);
  const size = 100;
  const verdict = (tol: number) =>
    lanczosVerdict(startLanczos(size, 'float32', { tol }), alphas, betas, 1, lanczosNotStarted(), {
      iterations: 2,
      restarts: 0,
    });

  it('scales by max|theta| = |theta_min| when the bottom dominates: the tolerance and the float32 rounding floor', () => {
    // 16 u sqrt(n) max|theta| with u = 2^-24: the floor no residual bound goes below.
    const rounding = 16 * 2 ** -24 * Math.sqrt(size) * Math.abs(thetaMin);
    expect(rounding).toBeLessThan(b); // not an invariant space
    expect(betaMin).toBeLessThan(rounding / 100);
    expect(betaMax).toBeGreaterThan(1e-3 * thetaMax);
    const { result, reason } = verdict(1e-3);
    // |beta_1 s| <= tol max|theta| = 1e-2, though not tol theta_max = 1e-3.
    expect(reason).toBe('converged_tol');
    expect(Math.abs(result.lambdaMin - thetaMin)).toBeLessThan(1e-14 * Math.abs(thetaMin));
    expect(Math.abs(result.lambdaMax - thetaMax)).toBeLessThan(1e-14 * Math.abs(thetaMax));
    expect(Math.abs(result.rounding - rounding)).toBeLessThan(1e-14 * rounding);
    // Exact arithmetic's |beta_1 s_min| (4.5e-7) is below what float32 rounding supports: the floor holds.
    expect(result.residualMin).toBe(result.rounding);
    expect(Math.abs(result.residualMax - betaMax)).toBeLessThan(1e-14 * betaMax);
    // Above tol max|theta| = 1e-3 it goes on.
    expect(verdict(1e-4).reason).toBeNull();
  });
});

describe('householderTridiagonal', () => {
  it('Q^T A Q = T with Q e_0 = e_0, Q orthogonal and the off-diagonal nonnegative', () => {
    const n = 9;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++)
        a[i * n + j] = a[j * n + i] = Math.sin(1.7 * i + 0.3 * j * j) - (i === j ? 2 : 0);
    }
    const { diagonal, offDiagonal, q } = householderTridiagonal(a, n);
    for (let i = 0; i < n; i++) expect(q[i * n]).toBe(i === 0 ? 1 : 0);
    for (const beta of offDiagonal) expect(beta).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let qtq = 0;
        let qtaq = 0;
        for (let k = 0; k < n; k++) {
          qtq += q[k * n + i] * q[k * n + j];
          for (let l = 0; l < n; l++) qtaq += q[k * n + i] * a[k * n + l] * q[l * n + j];
        }
        const t = i === j ? diagonal[i] : Math.abs(i - j) === 1 ? offDiagonal[Math.min(i, j)] : 0;
        expect(Math.abs(qtq - (i === j ? 1 : 0))).toBeLessThan(1e-14);
        expect(Math.abs(qtaq - t)).toBeLessThan(1e-13);
      }
    }
  });
});
