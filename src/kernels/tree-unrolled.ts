// The passes of the tree product (shaders/tree.wgsl) that a CPU adapter (SwiftShader) runs written out
// for one expansion order: P2M, M2L and L2P. tree.wgsl reads their sums from index tables, so each
// term costs SwiftShader a gather per lane for the index and more for the operands; here every index
// is a literal, the thread's monomials, derivatives, moments and sums are values in registers, and a
// term is a few multiply-adds on SIMD registers (M2L: about 5 ns a term against 39 ns on this machine).
//
//   P2M  one thread per leaf, its electrons in turn: M~_a += q ((-delta) / s)^a / a!, the monomials by
//        the recurrence of cartesian-expansion.ts (scaledMonomials);
//   M2L  one thread per target node, its list in turn (below);
//   L2P  one workgroup per leaf, its electrons the threads' in rounds: the four potentials and their
//        gradients from the leaf's local coefficients, the Stokeslet (tree.wgsl farField), y += eps w
//        after the near field (tree_evaluate_blocked, whose own L2P evaluateFarField turns off).
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
  let terms = 0;
  for (const row of rows) {
    if (block.length > 0 && terms + row.alpha.length > kMostTermsPerEntry) {
      blocks.push(block);
      block = [];
      terms = 0;
    }
    block.push(row);
    terms += row.alpha.length;
  }
  if (block.length > 0) blocks.push(block);
  return blocks;
}

/** A WGSL float literal. */
function literal(value: number): string {
  if (Number.isInteger(value)) return value.toFixed(1);
  return value.toPrecision(9);
}

/** The unrolled passes for `tables` (a flat tree's planar M2L rows where `planar`): module and entry points. */
export interface UnrolledTreePasses {
  readonly shader: GeneratedShader;
  readonly p2m: string;
  /** The M2L's entry points, each a dispatch over the same node range. */
  readonly m2l: readonly string[];
  readonly l2p: string;
}

export function unrolledTreePasses(tables: ExpansionTables, planar: boolean): UnrolledTreePasses {
  const blocks = rowBlocks(m2lRows(tables, planar));
  const m2l = blocks.map((_, b) => `tree_m2l_unrolled_${b}`);
  const computed = new Set(blocks.flat().map((row) => row.reduced));
  const unused = Array.from({ length: tables.reducedCount }, (_, r) => r).filter((r) => !computed.has(r));
  const source = [
    '// #include solverGuard',
    '// #include treeLayout',
    `// P2M, M2L${planar ? ' (planar rows)' : ''} and L2P at order ${tables.order}, written by src/kernels/tree-unrolled.ts.`,
    p2mEntryPoint(tables),
    ...blocks.map((block, b) => m2lEntryPoint(tables, block, m2l[b], b === 0 ? unused : [])),
    l2pEntryPoint(tables),
  ].join('\n');
  return {
    shader: { name: `treeUnrolled${tables.order}${planar ? 'Planar' : ''}`, source },
    p2m: 'tree_p2m_unrolled',
    m2l,
    l2p: 'tree_l2p_unrolled',
  };
}

/**
 * The opening of an entry point: the guard, then the thread's node of the range (`node`), or the
 * workgroup's leaf (`leaf`).
 */
function opening(name: string, unit: 'node' | 'leaf'): string[] {
  const index =
    unit === 'node'
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
    `  let ${unit} = params.firstNode + index;`,
  ];
}

/**
 * `let ${name}k = v^k / k!` for every term k >= 1 of `tables` (v = (vx, vy, vz) as WGSL expressions),
 * by the recurrence of scaledMonomials: each from its parent times one coordinate over the exponent.
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
 * L2P: one workgroup per leaf of the range, whose threads take its electrons in rounds. A leaf's local
 * expansion is harmonic, so phi = sum_t L~_t h^t / t! = sum_r L~_r (R m)_r over the harmonic terms r
 * (k_z <= 1) alone, where m = h^t / t! and R is reduceMultipole's map (the adjoint of completeLocal's,
 * which gives every L~_t from the L~_r); the gradient likewise, with m^(i)_t = h^(t - e_i) / (t - e_i)!.
 * That is 4 (p + 1)^2 terms for the four sums instead of about 4 termCount, and only the (p + 1)^2
 * coefficients, which each thread loads once for its rounds (all termCount of them made a pipeline
 * that took SwiftShader 10 s to compile at p = 11).
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
  const out = opening(name, 'node');
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
