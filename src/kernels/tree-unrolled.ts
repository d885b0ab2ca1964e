// The passes of the tree product (shaders/tree.wgsl) that a CPU adapter (SwiftShader) runs written out
// for one expansion order: P2M, the harmonic reduction, M2M, M2L, L2L, the M2L's completion and L2P.
// tree.wgsl reads their sums from index tables,
// so each term costs SwiftShader a gather per lane for the index and more for the operands; here every
// index is a literal, the thread's monomials, derivatives, moments and sums are values in registers,
// and a term is a few multiply-adds on SIMD registers (an M2L term costs an eighth of a gathered
// one). The price is compiling them, once per order and device: at p = 11 longer than a product of
// 10^5 electrons takes (README, "The fast multipole product").
//
//   P2M      one thread per leaf, its electrons in turn: M~_a += q ((-delta) / s)^a / a!, the
//            monomials by the recurrence of cartesian-expansion.ts (scaledMonomials);
//   M2M, L2L one thread per node, three one-dimensional shifts each (shiftEntryPoint, below);
//   reduce   one thread per node: its harmonic moments for M2L (the harmonic identity run backwards,
//            cartesian-expansion.ts reduceMultipole), written out (reduceEntryPoint);
//   M2L      one thread per target node, its list in turn (below);
//   complete one thread per node: the M2L sums completed by the harmonic identity and added to its
//            local coefficients after the L2L (completeLocal; completeEntryPoint);
//   L2P      one workgroup per leaf, its electrons the threads' in rounds: the four potentials and
//            their gradients from the leaf's harmonic local coefficients (l2pEntryPoint), the Stokeslet
//            (tree.wgsl farField), y += eps w after the near field (tree_evaluate_blocked, whose own
//            L2P evaluateFarField turns off).
//
// M2L, per source (tree.wgsl's file comment has the scaled operators): the Taylor coefficients c_k of
// 1/r at the unit vector R / r by the recurrence of cartesian-expansion.ts (inverseDistanceDerivatives),
// weights and indices spelled out; D_k = k! c_k; the harmonic moments times (s_s / r)^|alpha|; and
//   L~_beta += (s_t / r)^|beta| / r  sum_alpha D_{alpha + beta} M~_alpha
// over the rows beta (the harmonic terms, or the planar ones for a flat tree) and the harmonic alpha
// of degree <= p - |beta| (ExpansionTables.m2lIndex, planarIndex). The rows are cut into entry points
// of at most kMostTermsPerEntry terms, each a dispatch over the same nodes: one function of all 4 082
// terms of p = 11 crashed SwiftShader's pipeline compiler, and entry points of this size compile in
// about a second each.
import type { ExpansionTables } from '../physics/cartesian-expansion.ts';
import type { GeneratedShader } from '../gpu/shaders.ts';

/** Threads per workgroup of the unrolled passes: two of SwiftShader's SIMD groups. */
export const kUnrolledWorkgroupSize = 8;

/** Most contraction terms per entry point (see the file comment). */
const kMostTermsPerEntry = 1500;

/** Terms of the sum in one statement: WGSL expressions of a few terms compile fastest. */
const kTermsPerStatement = 8;

/** One row of the contraction: the reduced index of beta, and per term alpha and alpha + beta. */
interface M2lRow {
  readonly reduced: number;
  readonly alpha: readonly number[];
  readonly derivative: readonly number[];
}

/** The rows of the M2L in reduced order: every harmonic beta, or for a flat tree the planar ones. */
function m2lRows(tables: ExpansionTables, planar: boolean): M2lRow[] {
  if (planar) {
    const reducedIndex = new Map(Array.from(tables.reducedTerm, (term, r) => [term, r]));
    return Array.from(tables.planarTerm, (term, row) => {
      const first = tables.planarOffset[row];
      const last = tables.planarOffset[row + 1];
      return {
        reduced: reducedIndex.get(term)!,
        alpha: Array.from(tables.planarAlpha.subarray(first, last)),
        derivative: Array.from(tables.planarIndex.subarray(first, last)),
      };
    });
  }
  return Array.from({ length: tables.reducedCount }, (_, r) => {
    const first = tables.m2lOffset[r];
    const last = tables.m2lOffset[r + 1];
    return {
      reduced: r,
      alpha: Array.from({ length: last - first }, (_, a) => a),
      derivative: Array.from(tables.m2lIndex.subarray(first, last)),
    };
  });
}

/** The rows cut in order into blocks of at most kMostTermsPerEntry terms (a longer row alone). */
function rowBlocks(rows: readonly M2lRow[]): M2lRow[][] {
  const blocks: M2lRow[][] = [];
  let block: M2lRow[] = [];
  let count = 0;
  for (const row of rows) {
    if (block.length > 0 && count + row.alpha.length > kMostTermsPerEntry) {
      blocks.push(block);
      block = [];
      count = 0;
    }
    block.push(row);
    count += row.alpha.length;
  }
  if (block.length > 0) blocks.push(block);
  return blocks;
}

/** A WGSL float literal. */
function literal(value: number): string {
  if (Number.isInteger(value)) return value.toFixed(1);
  return value.toPrecision(9);
}

/**
 * The unrolled passes for `tables` (a flat tree's planar M2L rows where `planar`): two modules, so
 * that what does not depend on the rows compiles once per order, and the entry points of each stage.
 */
export interface UnrolledTreePasses {
  /** P2M, the reduction, the stages of M2M and L2L, the completion, and L2P: one per order. */
  readonly expansions: GeneratedShader;
  /** The M2L: one per order and row set. */
  readonly translations: GeneratedShader;
  readonly p2m: string;
  /** The harmonic reduction before M2L (tree.wgsl's tree_reduce) and the completion after it (tree_l2l's). */
  readonly reduce: string;
  readonly complete: string;
  /** The M2L's entry points, each a dispatch over the same node range. */
  readonly m2l: readonly string[];
  readonly l2p: string;
  /** The stages of M2M and L2L, each an entry point over one node range. */
  readonly shifts: Readonly<Record<ShiftStage, string>>;
}

export function unrolledTreePasses(tables: ExpansionTables, planar: boolean): UnrolledTreePasses {
  const blocks = rowBlocks(m2lRows(tables, planar));
  const m2l = blocks.map((_, b) => `tree_m2l_unrolled_${b}`);
  const computed = new Set(blocks.flat().map((row) => row.reduced));
  const unused = Array.from({ length: tables.reducedCount }, (_, r) => r).filter((r) => !computed.has(r));
  const header = (what: string) => [
    '// #include solverGuard',
    '// #include treeLayout',
    `// ${what} at order ${tables.order}, written by src/kernels/tree-unrolled.ts.`,
  ];
  const expansions = [
    ...header('P2M, the reduction, M2M, L2L, the completion and L2P'),
    p2mEntryPoint(tables),
    reduceEntryPoint(tables),
    completeEntryPoint(tables),
    l2pEntryPoint(tables),
    ...kShiftStages.map((stage) => shiftEntryPoint(tables, stage)),
  ];
  const translations = [
    ...header(`M2L${planar ? ' (planar rows)' : ''}`),
    ...blocks.map((block, b) => m2lEntryPoint(tables, block, m2l[b], b === 0 ? unused : [])),
  ];
  return {
    expansions: { name: `treeExpansions${tables.order}`, source: expansions.join('\n') },
    translations: {
      name: `treeTranslations${tables.order}${planar ? 'Planar' : ''}`,
      source: translations.join('\n'),
    },
    p2m: 'tree_p2m_unrolled',
    reduce: 'tree_reduce_unrolled',
    complete: 'tree_complete_unrolled',
    m2l,
    l2p: 'tree_l2p_unrolled',
    shifts: Object.fromEntries(kShiftStages.map((stage) => [stage, `tree_${stage}_unrolled`])) as Record<
      ShiftStage,
      string
    >,
  };
}

/**
 * The opening of an entry point: the guard, then the thread's node of the range (`node`), the
 * workgroup's leaf (`leaf`), or for the M2L the thread's node at its position of the range in the
 * M2L's order (`listed`: m2lNodeOrder, tree.ts).
 */
function opening(name: string, unit: 'node' | 'leaf' | 'listed'): string[] {
  const index =
    unit !== 'leaf'
      ? `workgroupIndex(group, groups) * ${kUnrolledWorkgroupSize}u + lane`
      : 'workgroupIndex(group, groups)';
  return [
    '',
    `@compute @workgroup_size(${kUnrolledWorkgroupSize})`,
    `fn ${name}(`,
    '  @builtin(workgroup_id) group: vec3<u32>,',
    '  @builtin(num_workgroups) groups: vec3<u32>,',
    '  @builtin(local_invocation_index) lane: u32,',
    ') {',
    '  if (workgroupSolveStopped(lane, state[0])) {',
    '    return;',
    '  }',
    `  let index = ${index};`,
    '  if (index >= params.rangeNodes) {',
    '    return;',
    '  }',
    unit === 'listed'
      ? '  let node = tables[params.m2lNodes + params.firstNode + index];'
      : `  let ${unit} = params.firstNode + index;`,
  ];
}

/**
 * `let ${name}k = v^k / k!` for every term k >= 1 of `tables`, v the WGSL vector named `name`, by the
 * recurrence of scaledMonomials: each from its parent times one coordinate over the exponent.
 */
function monomials(tables: ExpansionTables, name: string, indent: string): string[] {
  const { termCount, monomialParent, monomialAxis, monomialDivisor } = tables;
  const axis = ['.x', '.y', '.z'];
  const lines: string[] = [];
  for (let k = 1; k < termCount; k++) {
    const parent = monomialParent[k] === 0 ? '' : `${name}${monomialParent[k]} * `;
    const divisor = monomialDivisor[k] === 1 ? '' : ` * ${literal(1 / monomialDivisor[k])}`;
    lines.push(`${indent}let ${name}${k} = ${parent}${name}${axis[monomialAxis[k]]}${divisor};`);
  }
  return lines;
}

/** P2M: one thread per leaf of the range. */
function p2mEntryPoint(tables: ExpansionTables): string {
  const { termCount } = tables;
  const out = opening('tree_p2m_unrolled', 'node');
  out.push('  let centre = nodes[node];');
  out.push('  let inverseScale = 1.0 / centre.w;');
  for (let k = 0; k < termCount; k++) out.push(`  var moment${k} = vec4<f32>(0.0);`);
  out.push('  for (var j = tables[params.nodeStart + node]; j < tables[params.nodeEnd + node]; j++) {');
  out.push('    let minusDelta = (centre.xyz - electrons[j].xyz) * inverseScale;');
  out.push('    let q = sourceCharges[j];');
  out.push(...monomials(tables, 'minusDelta', '    '));
  out.push('    moment0 += q;');
  for (let k = 1; k < termCount; k++) out.push(`    moment${k} += minusDelta${k} * q;`);
  out.push('  }');
  for (let k = 0; k < termCount; k++) out.push(`  moments[node * ${termCount}u + ${k}u] = moment${k};`);
  out.push('}');
  return out.join('\n');
}

/**
 * The harmonic moments of one node a thread (reduceMultipole): each moment loaded where the harmonic
 * identity, run backwards from the highest term, first needs it, subtracted from the two it feeds, and
 * the reducedCount harmonic ones (k_z <= 1) stored. tree.wgsl's tree_reduce gathers each of the
 * reduction's weights and moments through the index tables instead.
 */
function reduceEntryPoint(tables: ExpansionTables): string {
  const { termCount, harmonic, reducedTerm, reducedCount } = tables;
  const out = opening('tree_reduce_unrolled', 'node');
  const loaded = new Set<number>();
  const use = (t: number) => {
    if (loaded.has(t)) return;
    loaded.add(t);
    out.push(`  var m${t} = leafMoments[node * ${termCount}u + ${t}u];`);
  };
  for (let j = harmonic.length - 3; j >= 0; j -= 3) {
    const [from, toX, toY] = [harmonic[j], harmonic[j + 1], harmonic[j + 2]];
    for (const t of [from, toX, toY]) use(t);
    out.push(`  m${toX} -= m${from};`, `  m${toY} -= m${from};`);
  }
  reducedTerm.forEach((t, r) => {
    use(t);
    out.push(`  reduced[node * ${reducedCount}u + ${r}u] = m${t};`);
  });
  out.push('}');
  return out.join('\n');
}

/**
 * The M2L sums of one node a thread completed (completeLocal: the terms with k_z >= 2 from the
 * harmonic ones, in the identity's order) and added to its local coefficients, which the L2L wrote.
 */
function completeEntryPoint(tables: ExpansionTables): string {
  const { termCount, harmonic, reducedTerm, reducedCount } = tables;
  const out = opening('tree_complete_unrolled', 'node');
  reducedTerm.forEach((t, r) => out.push(`  let l${t} = m2lLocals[node * ${reducedCount}u + ${r}u];`));
  for (let j = 0; j < harmonic.length; j += 3) {
    const [to, fromX, fromY] = [harmonic[j], harmonic[j + 1], harmonic[j + 2]];
    out.push(`  let l${to} = -l${fromX} - l${fromY};`);
  }
  for (let t = 0; t < termCount; t++) out.push(`  locals[node * ${termCount}u + ${t}u] += l${t};`);
  out.push('}');
  return out.join('\n');
}

/**
 * L2P: one workgroup per leaf of the range, whose threads take its electrons in rounds. A leaf's local
 * expansion is harmonic, so phi = sum_t L~_t h^t / t! = sum_r L~_r (R m)_r over the harmonic terms r
 * (k_z <= 1) alone, where m = h^t / t! and R is reduceMultipole's map (the adjoint of completeLocal's,
 * which gives every L~_t from the L~_r); the gradient likewise, with m^(i)_t = h^(t - e_i) / (t - e_i)!.
 * That is 4 (p + 1)^2 terms for the four sums instead of about 4 termCount, and only the (p + 1)^2
 * coefficients, which each thread loads once for its rounds (all termCount of them, two and a half
 * times the code, made a pipeline slow to compile).
 */
function l2pEntryPoint(tables: ExpansionTables): string {
  const { termCount, minusOne, harmonic, reducedTerm } = tables;
  const out = opening('tree_l2p_unrolled', 'leaf');
  out.push('  let centre = nodes[leaf];');
  out.push('  let inverseScale = 1.0 / centre.w;');
  for (const t of reducedTerm) out.push(`  let local${t} = localCoefficients[leaf * ${termCount}u + ${t}u];`);
  out.push('  let end = tables[params.nodeEnd + leaf];');
  out.push(
    `  for (var k = tables[params.nodeStart + leaf] + lane; k < end; k += ${kUnrolledWorkgroupSize}u) {`,
  );
  out.push('    let position = electrons[k];');
  out.push('    let h = (position.xyz - centre.xyz) * inverseScale;');
  out.push(...monomials(tables, 'h', '    '));
  // The four vectors m (phi) and m^(i) (gradient i) as WGSL variables, null where the entry is 0.
  const vectors = ['phi', 'gradient0', 'gradient1', 'gradient2'];
  const entries = vectors.map((name, v) =>
    Array.from({ length: termCount }, (_, t) => {
      const source = v === 0 ? t : minusOne[3 * t + v - 1];
      if (source >= termCount) return null;
      out.push(`    var ${name}Monomial${t} = ${source === 0 ? '1.0' : `h${source}`};`);
      return `${name}Monomial${t}`;
    }),
  );
  // R: the harmonic identity run backwards (reduceMultipole).
  for (let j = harmonic.length - 3; j >= 0; j -= 3) {
    const [from, toX, toY] = [harmonic[j], harmonic[j + 1], harmonic[j + 2]];
    for (const entry of entries) {
      const value = entry[from];
      if (value === null) continue;
      for (const to of [toX, toY]) {
        if (entry[to] === null) {
          entry[to] = `${value}To${to}`;
          out.push(`    var ${entry[to]} = -${value};`);
        } else {
          out.push(`    ${entry[to]} -= ${value};`);
        }
      }
    }
  }
  entries.forEach((entry, v) => {
    const terms = Array.from(reducedTerm)
      .filter((t) => entry[t] !== null)
      .map((t) => `${entry[t]} * local${t}`);
    for (let j = 0; j < terms.length; j += kTermsPerStatement) {
      const part = terms.slice(j, j + kTermsPerStatement).join(' + ');
      out.push(`    ${j === 0 ? `var ${vectors[v]} =` : `${vectors[v]} +=`} ${part};`);
    }
  });
  out.push('    var w: vec3<f32>;');
  for (let i = 0; i < 3; i++) {
    out.push(`    let g${i} = gradient${i} * inverseScale;`);
    out.push(`    w[${i}] = phi[${i}] - dot(position.xyz, g${i}.xyz) + g${i}.w;`);
  }
  out.push('    writeProduct(tables[params.electron + k], position, w / 2.0, true);');
  out.push('  }');
  out.push('}');
  return out.join('\n');
}

/** One M2L entry point: the rows of `block`, and zeros for the rows `zeroed` (no block computes them). */
function m2lEntryPoint(
  tables: ExpansionTables,
  block: readonly M2lRow[],
  name: string,
  zeroed: number[],
): string {
  const { exponents, reducedTerm, reducedCount, minusOne, minusTwo, firstWeight, secondWeight, factorial } =
    tables;
  const degree = (term: number) => exponents[3 * term] + exponents[3 * term + 1] + exponents[3 * term + 2];
  const alphas = [...new Set(block.flatMap((row) => row.alpha))].sort((a, b) => a - b);
  const derivatives = [...new Set(block.flatMap((row) => row.derivative))].sort((a, b) => a - b);
  const lastDerivative = derivatives[derivatives.length - 1];
  const alphaDegree = Math.max(...alphas.map((a) => degree(reducedTerm[a])));
  const betaDegree = Math.max(...block.map((row) => degree(reducedTerm[row.reduced])));
  const out = opening(name, 'listed');
  const line = (text: string) => out.push(text);
  line('  let targetNode = nodes[node];');
  for (const row of block) line(`  var l${row.reduced} = vec4<f32>(0.0);`);
  line('  for (var e = tables[params.listOffset + node]; e < tables[params.listOffset + node + 1u]; e++) {');
  line('    let source = tables[params.list + e];');
  line('    let sourceNode = nodes[source];');
  line('    let separation = targetNode.xyz - sourceNode.xyz;');
  line('    let distance = length(separation);');
  line('    let u = separation / distance;');
  // (s_s / r)^d for the moments' degrees, (s_t / r)^d / r for the rows'.
  line('    let sourceRatio = sourceNode.w / distance;');
  line('    let targetRatio = targetNode.w / distance;');
  for (let d = 1; d <= alphaDegree; d++) {
    line(`    let s${d} = ${d === 1 ? 'sourceRatio' : `s${d - 1} * sourceRatio`};`);
  }
  line('    let t0 = 1.0 / distance;');
  for (let d = 1; d <= betaDegree; d++) line(`    let t${d} = t${d - 1} * targetRatio;`);
  // The Taylor recurrence, then D_k = k! c_k for the derivatives the rows read.
  const axis = ['u.x', 'u.y', 'u.z'];
  line('    let c0 = 1.0;');
  for (let k = 1; k <= lastDerivative; k++) {
    const first: string[] = [];
    const second: string[] = [];
    for (let i = 0; i < 3; i++) {
      if (minusOne[3 * k + i] < tables.termCount) first.push(`${axis[i]} * c${minusOne[3 * k + i]}`);
      if (minusTwo[3 * k + i] < tables.termCount) second.push(`c${minusTwo[3 * k + i]}`);
    }
    let value = `${literal(firstWeight[k])} * (${first.join(' + ')})`;
    if (second.length > 0 && secondWeight[k] !== 0) {
      value += ` + ${literal(secondWeight[k])} * (${second.join(' + ')})`;
    }
    line(`    let c${k} = ${value};`);
  }
  for (const k of derivatives) {
    line(`    let d${k} = ${factorial[k] === 1 ? `c${k}` : `${literal(factorial[k])} * c${k}`};`);
  }
  for (const a of alphas) {
    const d = degree(reducedTerm[a]);
    const moment = `harmonicMoments[source * ${reducedCount}u + ${a}u]`;
    line(`    let m${a} = ${d === 0 ? moment : `${moment} * s${d}`};`);
  }
  for (const row of block) {
    const terms = row.alpha.map((a, j) => `d${row.derivative[j]} * m${a}`);
    line('    {');
    for (let j = 0; j < terms.length; j += kTermsPerStatement) {
      const part = terms.slice(j, j + kTermsPerStatement).join(' + ');
      line(`      ${j === 0 ? 'var sum =' : 'sum +='} ${part};`);
    }
    line(`      l${row.reduced} += t${degree(reducedTerm[row.reduced])} * sum;`);
    line('    }');
  }
  line('  }');
  for (const row of block) line(`  m2lLocals[node * ${reducedCount}u + ${row.reduced}u] = l${row.reduced};`);
  for (const r of zeroed) line(`  m2lLocals[node * ${reducedCount}u + ${r}u] = vec4<f32>(0.0);`);
  line('}');
  return out.join('\n');
}

/**
 * The stages of M2M and L2L: each a Taylor shift along one axis, so that the shift by (dx, dy, dz) of
 * tree.wgsl's M2M (sum over b + a = t) and L2L (sum over g) is three one-dimensional ones:
 *   M2M  M~'_t = sum_c [S_z S_y S_x (rho_c^|.| M~_c)]_t,  (S_i M)_t = sum_{a <= t_i} M_{t - a e_i} d_i^a / a!
 *        with d = (c_p - c_c) / s_p and rho_c = s_c / s_p: x and y per child, z per parent over both;
 *   L2L  L~_t = rho^|t| [S_z S_y S_x L~_p]_t + completed M2L sums,  (S_i L)_t = sum_g L_{t + g e_i} d_i^g / g!
 *        with d = (c_c - c_p) / s_p, per child; tree_complete_unrolled adds the M2L sums after.
 * The truncation |t| <= p holds at every stage (a shift moves along its axis within degree <= p). At
 * p = 11 that is 3 x 1 365 terms a shift against 12 376 in one.
 *
 * A shift along axis i acts on each column of terms that differ only in t_i (shiftColumns: columns of
 * L terms, t_i = 0 .. L - 1, where the other two exponents sum to p + 1 - L) as a triangular Toeplitz
 * matrix of the powers d_i^m / m!. The code is written out once per column length L and loops over
 * the columns of that length, reading their terms' indices from the table: C(p + 3, 3) terms of code
 * (364 at p = 11): writing out every term (1 365, nearly four times the code) made each stage's
 * pipeline slow to compile.
 * The stages write where the next one reads: M2M x into locals, y into moments (each level's moments
 * reduced for M2L before), z the parent's moments; L2L x into locals, y into moments (free after the
 * upward pass), z the child's locals.
 */
export const kShiftStages = ['m2mX', 'm2mY', 'm2mZ', 'l2lX', 'l2lY', 'l2lZ'] as const;
export type ShiftStage = (typeof kShiftStages)[number];

/**
 * The columns of the terms along `axis`, by length L = 1 .. p + 1 (p + 2 - L columns of each), each
 * its terms' indices by increasing exponent along the axis: every term once.
 */
export function shiftColumns(tables: ExpansionTables, axis: number): Uint32Array {
  const { termCount, exponents, order, plusOne } = tables;
  const [first, second] = [0, 1, 2].filter((i) => i !== axis);
  const out: number[] = [];
  for (let length = 1; length <= order + 1; length++) {
    for (let t = 0; t < termCount; t++) {
      const k = exponents.subarray(3 * t, 3 * t + 3);
      if (k[axis] !== 0 || k[first] + k[second] !== order + 1 - length) continue;
      for (let j = 0, index = t; j < length; j++, index = plusOne[3 * index + axis]) out.push(index);
    }
  }
  return Uint32Array.from(out);
}

/** Where each stage reads and writes (tree_layout.wgsl's bindings), and its axis. */
const kShiftPlans: Record<
  ShiftStage,
  { axis: number; upward: boolean; input: string; output: string; node: 'child' | 'parent' }
> = {
  m2mX: { axis: 0, upward: true, input: 'leafMoments', output: 'locals', node: 'child' },
  m2mY: { axis: 1, upward: true, input: 'localCoefficients', output: 'moments', node: 'child' },
  m2mZ: { axis: 2, upward: true, input: 'moments', output: 'moments', node: 'parent' },
  l2lX: { axis: 0, upward: false, input: 'locals', output: 'locals', node: 'child' },
  l2lY: { axis: 1, upward: false, input: 'localCoefficients', output: 'moments', node: 'child' },
  l2lZ: { axis: 2, upward: false, input: 'leafMoments', output: 'locals', node: 'child' },
};

/** `let ${name}1 .. ${name}${last}`: powers of `base`, or with `scaled` v^m / m!. */
function powerLets(name: string, base: string, last: number, scaled: boolean, indent: string): string[] {
  return Array.from({ length: last }, (_, m) => {
    const k = m + 1;
    const previous = k === 1 ? '' : `${name}${k - 1} * `;
    const divisor = scaled && k > 1 ? ` * ${literal(1 / k)}` : '';
    return `${indent}let ${name}${k} = ${previous}${base}${divisor};`;
  });
}

/** One shift stage's entry point. */
function shiftEntryPoint(tables: ExpansionTables, stage: ShiftStage): string {
  const { termCount, order } = tables;
  const { axis, upward, input, output, node } = kShiftPlans[stage];
  const component = ['x', 'y', 'z'][axis];
  const table = `params.columns${component.toUpperCase()}`;
  const out = opening(`tree_${stage}_unrolled`, 'node');
  // d_i^m / m! of one child from its parent, as `${name}m`.
  const shift = (name: string, childNode: string, parentNode: string) => {
    const [from, to] = upward ? [parentNode, childNode] : [childNode, parentNode];
    return [
      `  let ${name}Distance = (${from}.${component} - ${to}.${component}) / ${parentNode}.w;`,
      ...powerLets(name, `${name}Distance`, order, true, '  '),
    ];
  };
  // Term j of a column of `length` from its inputs `in` (with prefix) and powers `power`.
  const term = (length: number, j: number, prefix: string, power: string) => {
    const parts: string[] = [];
    if (upward)
      for (let a = 0; a <= j; a++) parts.push(a === 0 ? `${prefix}${j}` : `${power}${a} * ${prefix}${j - a}`);
    else
      for (let g = 0; j + g < length; g++)
        parts.push(g === 0 ? `${prefix}${j}` : `${power}${g} * ${prefix}${j + g}`);
    return parts.join(' + ');
  };
  if (node === 'parent') {
    out.push('  let parentNode = nodes[node];');
    for (const c of [1, 2]) {
      out.push(`  let child${c} = 2u * node + ${c}u;`);
      out.push(...shift(`shift${c}_`, `nodes[child${c}]`, 'parentNode'));
    }
  } else {
    out.push('  let parent = select(0u, (node - 1u) / 2u, node > 0u);');
    out.push('  let childNode = nodes[node];');
    out.push('  let parentNode = nodes[parent];');
    out.push(...shift('shift', 'childNode', 'parentNode'));
    if (stage === 'm2mX' || stage === 'l2lZ') {
      out.push(...powerLets('ratio', 'childNode.w / parentNode.w', order, false, '  '));
    }
  }
  // L2L z: the root has no parent (tree_complete_unrolled gives it its M2L sums alone).
  if (stage === 'l2lZ') out.push('  let fromParent = select(0.0, 1.0, node > 0u);');
  const at = stage === 'l2lX' ? 'parent' : 'node';
  let offset = 0;
  for (let length = 1; length <= order + 1; length++) {
    const columns = order + 2 - length;
    // The degree of a column's term j is p + 1 - length + j.
    const degree = (j: number) => order + 1 - length + j;
    out.push(`  for (var column = 0u; column < ${columns}u; column++) {`);
    out.push(`    let first = ${table} + ${offset}u + column * ${length}u;`);
    for (let j = 0; j < length; j++) out.push(`    let term${j} = tables[first + ${j}u];`);
    if (node === 'parent') {
      for (let j = 0; j < length; j++) {
        for (const c of [1, 2]) {
          out.push(`    let in${c}_${j} = ${input}[child${c} * ${termCount}u + term${j}];`);
        }
      }
      for (let j = 0; j < length; j++) {
        const sum = `${term(length, j, 'in1_', 'shift1_')} + ${term(length, j, 'in2_', 'shift2_')}`;
        out.push(`    ${output}[node * ${termCount}u + term${j}] = ${sum};`);
      }
    } else {
      for (let j = 0; j < length; j++) {
        // M2M x: the child's moments rescaled to its parent's scale, rho^|b|.
        const scale = stage === 'm2mX' && degree(j) > 0 ? ` * ratio${degree(j)}` : '';
        out.push(`    let in${j} = ${input}[${at} * ${termCount}u + term${j}]${scale};`);
      }
      for (let j = 0; j < length; j++) {
        let value = term(length, j, 'in', 'shift');
        if (stage === 'l2lZ') value = `fromParent * ${degree(j) > 0 ? `ratio${degree(j)} * ` : ''}(${value})`;
        out.push(`    ${output}[node * ${termCount}u + term${j}] = ${value};`);
      }
    }
    out.push('  }');
    offset += columns * length;
  }
  out.push('}');
  return out.join('\n');
}
