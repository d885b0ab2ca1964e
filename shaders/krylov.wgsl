// The scalar recurrences of the GPU Krylov solvers (src/engine), one thread each: they turn the
// dot products that reduce.wgsl left in `dots` into the coefficients that blas.wgsl reads from
// `state`, apply the stopping rule, and record why a solve stopped in `state.status`, so that a
// command buffer can hold k iterations and the CPU reads the state back only every k.
//
// Jacobi-preconditioned CG for M v = p (eq. 48/50; D = diag M, z = D^-1 r), as src/solvers/cg.ts:
//   krylov_start   ||r_0||, stopping rule at iteration 0, then a bad diagonal (host-checked)
//   cg_begin       rz = r^T D^-1 r                          rz <= 0: indefinite
//   cg_alpha       alpha = rz / p^T M p                     p^T M p <= 0: indefinite (iteration k-1)
//   cg_residual    k += 1, ||r_k||, stopping rule, then
//                  beta = rz_new / rz, rz = rz_new          rz_new <= 0: indefinite (iteration k)
// Preconditioned MINRES (Paige and Saunders 1975, scipy's minres.py), as src/solvers/minres.ts:
//   minres_begin   beta_1 = sqrt(r^T D^-1 r), phibar = beta_1, cs = -1, sn = 0
//   minres_alfa    alfa = v^T y  (y = A v - (beta/oldb) r1), and alfa / beta for y -= (alfa/beta) r2
//   minres_givens  beta_{k+1} = sqrt(r2^T D^-1 r2); the rotation that eliminates it:
//                    delta = cs dbar + sn alfa,  gbar = sn dbar - cs alfa,  eps = sn beta,
//                    dbar = -cs beta,  gamma = hypot(gbar, beta),  cs = gbar/gamma,
//                    sn = beta/gamma,  phi = cs phibar,  phibar = sn phibar;  then the estimate
//                    max(normFloor, gmax) ||w_k||_D of cond(A) (||w_k||_D by its scalar
//                    recurrence, src/solvers/minres.ts minresDirectionNorm): at conditionLimit or
//                    above, diverged_singular before x takes the step
//   minres_residual  k += 1, ||r_k|| of the explicitly updated residual, stopping rule, and
//                    beta_{k+1} = 0 (invariant Krylov space) ends it as a breakdown
// Lanczos with full reorthogonalisation, as src/solvers/lanczos.ts (T_k's eigenvalues on the CPU):
//   lanczos_alpha  alpha_j = q_j^T A q_j
//   lanczos_beta   beta_j = ||w||, into the trace with alpha_j; 1/beta_j for q_{j+1} = w / beta_j
//
// The stopping rule ||r_k|| <= threshold = max(atol, rtol ||b||) (threshold and atol from the
// float64 ||b|| on the host); converged_atol when ||r_k|| <= atol, else converged_rtol;
// diverged_max_it at k = maxIterations; diverged_nan for a non-finite scalar. Status codes are
// 1 + the index in kConvergenceReasons (src/solvers/types.ts); 0 means running. Once the status is
// set, `iteration` stays the iteration it happened at and every kernel (here, in blas.wgsl,
// reduce.wgsl, krylov_step.wgsl and the matvecs) returns at once. krylov_step.wgsl runs the CG and
// MINRES steps here (cgAlpha, advance, minresGivens, ...) itself, in its one-workgroup iterations.
//
// Non-finite values are found from the exponent bits: WGSL lets a compiler assume that floats are
// finite, so x != x may be folded away.
//
// Bindings, group 0 (one layout for every entry point):
//   0 uniform               params: KrylovParams
//   1 storage, read_write   state: KrylovState
//   2 storage, read         dots: KrylovDots, written by reduce.wgsl's reduce_final
//   3 storage, read_write   trace: array<f32>
//     CG, MINRES: [0] ||r_0||, [1 + (k - 1) % traceSteps] ||r_k||
//     Lanczos:    [2 (j % traceSteps)] alpha_j, [2 (j % traceSteps) + 1] beta_j
//   The host copies the trace out after every traceSteps iterations, before they are overwritten.
//
// Every kernel is one thread (@workgroup_size(1)): the recurrences are serial and a few flops.

const kRunning = 0u;
const kConvergedRtol = 1u;
const kConvergedAtol = 2u;
const kDivergedMaxIt = 3u;
const kDivergedIndefinite = 4u;
const kDivergedBreakdown = 5u;
const kDivergedNan = 6u;
const kDivergedSingular = 8u;

struct KrylovParams {
  threshold: f32,
  atol: f32,
  maxIterations: u32,
  diagonalStatus: u32,
  traceSteps: u32,
  // Unknowns: the vector length of krylov_step.wgsl, the one kernel including this file that
  // touches vectors ...
  size: u32,
  // ... and the floats between the vectors of its MINRES ring buffer.
  ringStride: u32,
  // MINRES: a lower bound of ||A|| (1 with the Jacobi preconditioner) ...
  normFloor: f32,
  // ... and the estimate of cond(A) that stops it as singular.
  conditionLimit: f32,
}

// Every field 4 bytes, so field m sits in word m: blas.wgsl reads coefficients by that index.
struct KrylovState {
  status: u32,
  iteration: u32,
  residualNorm: f32,
  rz: f32,
  alpha: f32,
  beta: f32,
  oldb: f32,
  dbar: f32,
  epsln: f32,
  oldeps: f32,
  delta: f32,
  phibar: f32,
  cs: f32,
  sn: f32,
  phi: f32,
  denominator: f32,
  inverseBeta: f32,
  betaRatio: f32,
  alfaRatio: f32,
  gmax: f32,
  directionSquared: f32,
  directionPreviousSquared: f32,
  directionCross: f32,
}

// Where reduce_final puts each dot product (word m = field m).
struct KrylovDots {
  curvature: f32,
  residualSquared: f32,
  preconditionedSquared: f32,
  rayleigh: f32,
}

@group(0) @binding(0) var<uniform> params: KrylovParams;
@group(0) @binding(1) var<storage, read_write> state: KrylovState;
@group(0) @binding(2) var<storage, read> dots: KrylovDots;
@group(0) @binding(3) var<storage, read_write> trace: array<f32>;

fn finite(value: f32) -> bool {
  return (bitcast<u32>(value) & 0x7f800000u) != 0x7f800000u;
}

fn running() -> bool {
  return state.status == kRunning;
}

// sqrt(a^2 + b^2) without overflow or underflow of the squares.
fn hypot(a: f32, b: f32) -> f32 {
  let m = max(abs(a), abs(b));
  if (m == 0.0) {
    return 0.0;
  }
  let p = a / m;
  let q = b / m;
  return m * sqrt(p * p + q * q);
}

// The stopping rule on ||r|| (src/solvers/krylov.ts stoppingReason); false once it stopped.
fn applyStoppingRule(norm: f32, iteration: u32) -> bool {
  if (!finite(norm)) {
    state.status = kDivergedNan;
  } else if (norm <= params.threshold) {
    state.status = select(kConvergedRtol, kConvergedAtol, norm <= params.atol);
  } else if (iteration == params.maxIterations) {
    state.status = kDivergedMaxIt;
  }
  return running();
}

// k += 1 and the stopping rule on ||r_k|| = sqrt(residualSquared); false once it stopped.
fn advance(residualSquared: f32) -> bool {
  let iteration = state.iteration + 1u;
  state.iteration = iteration;
  let norm = sqrt(residualSquared);
  state.residualNorm = norm;
  trace[1u + (iteration - 1u) % params.traceSteps] = norm;
  return applyStoppingRule(norm, iteration);
}

@compute @workgroup_size(1)
fn krylov_start() {
  if (!running()) {
    return;
  }
  state.iteration = 0u;
  let norm = sqrt(dots.residualSquared);
  state.residualNorm = norm;
  trace[0] = norm;
  if (applyStoppingRule(norm, 0u) && params.diagonalStatus != kRunning) {
    state.status = params.diagonalStatus;
  }
}

@compute @workgroup_size(1)
fn cg_begin() {
  if (!running()) {
    return;
  }
  let rz = dots.preconditionedSquared;
  if (!finite(rz)) {
    state.status = kDivergedNan;
  } else if (rz <= 0.0) {
    state.status = kDivergedIndefinite;
  }
  state.rz = rz;
}

// alpha = rz / p^T M p; false (and the status set) when the curvature is not positive. The CG
// scalar steps are functions so that krylov_step.wgsl runs the very same ones.
fn cgAlpha(curvature: f32) -> bool {
  if (!finite(curvature)) {
    state.status = kDivergedNan;
  } else if (curvature <= 0.0) {
    state.status = kDivergedIndefinite;
  } else {
    state.alpha = state.rz / curvature;
  }
  return running();
}

// beta = rz_new / rz, rz = rz_new; false (and the status set) when rz_new is not positive.
fn cgBeta(rzNext: f32) -> bool {
  if (!finite(rzNext)) {
    state.status = kDivergedNan;
  } else if (rzNext <= 0.0) {
    state.status = kDivergedIndefinite;
  } else {
    state.beta = rzNext / state.rz;
    state.rz = rzNext;
  }
  return running();
}

@compute @workgroup_size(1)
fn cg_alpha() {
  if (running()) {
    cgAlpha(dots.curvature);
  }
}

@compute @workgroup_size(1)
fn cg_residual() {
  if (running() && advance(dots.residualSquared)) {
    cgBeta(dots.preconditionedSquared);
  }
}

@compute @workgroup_size(1)
fn minres_begin() {
  if (!running()) {
    return;
  }
  let beta1Squared = dots.preconditionedSquared;
  if (!finite(beta1Squared)) {
    state.status = kDivergedNan;
    return;
  }
  if (!(beta1Squared > 0.0)) {
    state.status = kDivergedBreakdown;
    return;
  }
  let beta = sqrt(beta1Squared);
  state.beta = beta;
  state.oldb = 0.0;
  state.dbar = 0.0;
  state.epsln = 0.0;
  state.phibar = beta;
  state.cs = -1.0;
  state.sn = 0.0;
  state.inverseBeta = 1.0 / beta;
  // Iteration 1 has no r1 term: y = A v exactly (0 times the finite r1).
  state.betaRatio = 0.0;
  state.gmax = 0.0;
  state.directionSquared = 0.0;
  state.directionPreviousSquared = 0.0;
  state.directionCross = 0.0;
}

// None of the CG and MINRES step functions reads `dots` (the callers pass the sums in): with it,
// krylov_step.wgsl's minres_step would pass the 8 storage buffers every device allows.

// alfa = v^T y and alfa / beta (no verdict: a non-finite alfa is caught by minresGivens).
fn minresAlfa(alfa: f32) {
  state.alpha = alfa;
  state.alfaRatio = alfa / state.beta;
}

// beta_{k+1} = sqrt(betaSquared) and the Givens rotation that eliminates it; false (and the status
// set) on a non-finite scalar, a breakdown, or a step the condition estimate says is rounding.
fn minresGivens(betaSquared: f32) -> bool {
  let alfa = state.alpha;
  let oldb = state.beta;
  state.oldb = oldb;
  if (!finite(betaSquared) || !finite(alfa)) {
    state.status = kDivergedNan;
    return false;
  }
  if (betaSquared < 0.0) {
    state.status = kDivergedBreakdown;
    return false;
  }
  let beta = sqrt(betaSquared);
  state.beta = beta;
  let cs = state.cs;
  let sn = state.sn;
  let dbar = state.dbar;
  state.oldeps = state.epsln;
  state.delta = cs * dbar + sn * alfa;
  let gbar = sn * dbar - cs * alfa;
  state.epsln = sn * beta;
  state.dbar = -cs * beta;
  let gamma = hypot(gbar, beta);
  if (gamma == 0.0) {
    state.status = kDivergedBreakdown;
    return false;
  }
  let delta = state.delta;
  let oldeps = state.oldeps;
  let squared = state.directionSquared;
  let cross = state.directionCross;
  let sum = 1.0 + delta * delta * squared + oldeps * oldeps * state.directionPreviousSquared +
    2.0 * delta * oldeps * cross;
  state.directionSquared = sum / (gamma * gamma);
  state.directionPreviousSquared = squared;
  state.directionCross = -(delta * squared + oldeps * cross) / gamma;
  state.gmax = max(state.gmax, gamma);
  let condition = max(params.normFloor, state.gmax) * sqrt(state.directionSquared);
  if (!finite(condition) || condition >= params.conditionLimit) {
    state.status = kDivergedSingular;
    return false;
  }
  state.cs = gbar / gamma;
  state.sn = beta / gamma;
  state.phi = state.cs * state.phibar;
  state.phibar = state.sn * state.phibar;
  state.denominator = 1.0 / gamma;
  // For the next iteration's v = y / beta and y = A v - (beta / oldb) r1; with beta = 0 the
  // residual step ends the solve before they are used.
  state.inverseBeta = select(0.0, 1.0 / beta, beta > 0.0);
  state.betaRatio = beta / oldb;
  return true;
}

// k += 1 and the stopping rule on ||r_k||; beta_{k+1} = 0 (an invariant Krylov space) ends it as a
// breakdown. False once it stopped.
fn minresResidual(residualSquared: f32) -> bool {
  if (advance(residualSquared) && state.beta == 0.0) {
    state.status = kDivergedBreakdown;
  }
  return running();
}

@compute @workgroup_size(1)
fn minres_alfa() {
  if (running()) {
    minresAlfa(dots.rayleigh);
  }
}

@compute @workgroup_size(1)
fn minres_givens() {
  if (running()) {
    minresGivens(dots.preconditionedSquared);
  }
}

@compute @workgroup_size(1)
fn minres_residual() {
  if (running()) {
    minresResidual(dots.residualSquared);
  }
}

@compute @workgroup_size(1)
fn lanczos_alpha() {
  if (!running()) {
    return;
  }
  state.alpha = dots.rayleigh;
}

@compute @workgroup_size(1)
fn lanczos_beta() {
  if (!running()) {
    return;
  }
  let j = state.iteration;
  let alpha = state.alpha;
  let beta = sqrt(dots.residualSquared);
  state.beta = beta;
  let at = 2u * (j % params.traceSteps);
  trace[at] = alpha;
  trace[at + 1u] = beta;
  state.iteration = j + 1u;
  if (!finite(alpha) || !finite(beta)) {
    state.status = kDivergedNan;
  } else if (beta == 0.0) {
    // An invariant subspace: the host reports converged_invariant.
    state.status = kDivergedBreakdown;
  } else if (j + 1u == params.maxIterations) {
    state.status = kDivergedMaxIt;
  } else {
    state.inverseBeta = 1.0 / beta;
  }
}
