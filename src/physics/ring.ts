// The ring: electrons on the unit circle at angles phi_i (eq. 2).

/**
 * V_phi(phi) = (1/4)(1 + 3 cos phi) / sqrt(2 (1 - cos phi))  (eq. 31/42): the Darwin-Breit
 * interaction of two electrons on the unit ring, as a function of their angular separation.
 * Written with sin(phi/2) (2 - 2 cos phi = 4 sin^2(phi/2)) so it keeps full precision near phi = 0.
 */
export function ringPotential(phi: number): number {
  return (1 + 3 * Math.cos(phi)) / (8 * Math.abs(Math.sin(phi / 2)));
}

/**
 * V_phi for a ring of thickness a (units of R: beta = a/R): eq. 45's rule r -> r + a applied to the
 * chord r = 2 |sin(phi/2)| that eq. 31 divides by, (1/4)(1 + 3 cos phi) / (2 |sin(phi/2)| + beta).
 * Near phi = 0 it is 1/(|phi| + beta) + O(phi), eq. 45's softened 1D Coulomb well exactly, so a ring
 * much larger than the pair reproduces eq. 45's line; it stays 2 pi-periodic, even and smooth away
 * from 0, and beta = 0 gives V_phi back. (V_phi at sqrt(phi^2 + beta^2) would soften differently from
 * eq. 45, 1/sqrt(x^2 + b^2) against 1/(|x| + b), and the large-ring limit would not be eq. 45's.)
 */
export function ringPotentialThick(phi: number, thicknessOverRadius: number): number {
  return (1 + 3 * Math.cos(phi)) / (4 * (2 * Math.abs(Math.sin(phi / 2)) + thicknessOverRadius));
}

/** The series of eq. 42 to the order the paper gives: 1/|phi| - |phi|/3 + (97/5760)|phi|^3. */
export function ringPotentialSeries(phi: number): number {
  const x = Math.abs(phi);
  return 1 / x - x / 3 + (97 / 5760) * x * x * x;
}

/**
 * Exact eigenvalues of the ring's interaction matrix V_ij = V_phi(phi_i - phi_j) for N equally spaced
 * electrons: V is circulant, so lambda_k = sum_{j=1}^{N-1} V_phi(2 pi j/N) cos(2 pi j k/N), k = 0..N-1.
 * k = 0 is the uniform rotation, k = N/2 the alternating mode.
 */
export function ringCirculantEigenvalues(n: number): Float64Array {
  const eigenvalues = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sum = 0;
    for (let j = 1; j < n; j++)
      sum += ringPotential((2 * Math.PI * j) / n) * Math.cos((2 * Math.PI * j * k) / n);
    eigenvalues[k] = sum;
  }
  return eigenvalues;
}

/**
 * The exact two-electron Hamiltonian of eq. 39 in units m = R = 1 and eps = r_e/R:
 * H = J_C^2 / (4 (1 + eps V_phi)) + J^2 / (1 - eps V_phi), with J_C = J_1 + J_2, J = (J_1 - J_2)/2.
 */
export function twoElectronHamiltonian(
  centreOfMassMomentum: number,
  relativeMomentum: number,
  phi: number,
  epsilon: number,
): number {
  const v = epsilon * ringPotential(phi);
  return (
    (centreOfMassMomentum * centreOfMassMomentum) / (4 * (1 + v)) +
    (relativeMomentum * relativeMomentum) / (1 - v)
  );
}
