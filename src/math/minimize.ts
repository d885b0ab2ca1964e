// One-dimensional minimisation shared by the physics' fits and the studies' laws, so that neither
// layer imports the other for it.

/**
 * The x in [a, b] where f is least, f unimodal there, by golden-section search: each of `iterations`
 * steps keeps 0.618 of the bracket (80 take [0.05, 2] below 1e-16), and the bracket's middle is returned.
 */
export function goldenSectionMinimum(
  f: (x: number) => number,
  lower: number,
  upper: number,
  iterations = 80,
): number {
  const golden = (Math.sqrt(5) - 1) / 2;
  let [a, b] = [lower, upper];
  let c = b - golden * (b - a);
  let d = a + golden * (b - a);
  let [fc, fd] = [f(c), f(d)];
  for (let k = 0; k < iterations; k++) {
    if (fc < fd) {
      [b, d, fd] = [d, c, fc];
      c = b - golden * (b - a);
      fc = f(c);
    } else {
      [a, c, fc] = [c, d, fd];
      d = a + golden * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}
