// The M2L of the tree product (shaders/tree.wgsl tree_m2l) written out for one expansion order: the
// variant a CPU adapter (SwiftShader) runs. tree_m2l reads its contraction from index tables, so each
// term costs SwiftShader a gather per lane for the index, one for the derivative and one for the
// moment; here every index is a literal, the derivatives, moments and sums are values of the thread,
// and a term is four multiply-adds on SIMD registers. One thread is one target node, and it runs
// through the node's list one source at a time, so a lane's moments load from consecutive addresses.
//
// Per source (tree.wgsl's file comment has the scaled operators): the Taylor coefficients c_k of 1/r
// at the unit vector R / r by the recurrence of cartesian-expansion.ts (inverseDistanceDerivatives),
// weights and indices spelled out; D_k = k! c_k; the harmonic moments times (s_s / r)^|alpha|; and
//   L~_beta += (s_t / r)^|beta| / r  sum_alpha D_{alpha + beta} M~_alpha
// over the rows beta (the harmonic terms, or the planar ones for a flat tree) and the harmonic alpha
// of degree <= p - |beta| (ExpansionTables.m2lIndex, planarIndex).
//
// The rows are cut into entry points of at most kMostTermsPerEntry terms, each a dispatch over the
// same nodes: one function of all 4 082 terms of p = 11 crashed SwiftShader's pipeline compiler, and
// entry points of this size compile in about a second each.
import type { ExpansionTables } from '../physics/cartesian-expansion.ts';
import type { GeneratedShader } from '../gpu/shaders.ts';

/** Threads (target nodes) per workgroup of the unrolled M2L: two of SwiftShader's SIMD groups. */
export const kUnrolledM2lWorkgroupSize = 8;

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

/** The unrolled M2L for `tables` (a flat tree's planar rows where `planar`): its module and entry points. */
export interface UnrolledM2l {
  readonly shader: GeneratedShader;
  /** Entry points, each a dispatch over the same node range. */
  readonly entries: readonly string[];
}

export function unrolledM2l(tables: ExpansionTables, planar: boolean): UnrolledM2l {
  const blocks = rowBlocks(m2lRows(tables, planar));
  const entries = blocks.map((_, b) => `tree_m2l_unrolled_${b}`);
  const planarRows = new Set(blocks.flat().map((row) => row.reduced));
  const unused = Array.from({ length: tables.reducedCount }, (_, r) => r).filter((r) => !planarRows.has(r));
  const source = [
    '// #include solverGuard',
    '// #include treeLayout',
    `// The M2L at order ${tables.order}${planar ? ', planar rows' : ''}, written by src/kernels/tree-m2l.ts.`,
    ...blocks.map((block, b) => entryPoint(tables, block, entries[b], b === 0 ? unused : [])),
  ].join('\n');
  return { shader: { name: `treeM2l${tables.order}${planar ? 'Planar' : ''}`, source }, entries };
}

/** One entry point: the rows of `block`, and zeros for the rows `zeroed` (no block computes them). */
function entryPoint(
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
  const out: string[] = [];
  const line = (text: string) => out.push(text);
  line('');
  line(`@compute @workgroup_size(${kUnrolledM2lWorkgroupSize})`);
  line(`fn ${name}(`);
  line('  @builtin(workgroup_id) group: vec3<u32>,');
  line('  @builtin(num_workgroups) groups: vec3<u32>,');
  line('  @builtin(local_invocation_index) lane: u32,');
  line(') {');
  line('  if (workgroupSolveStopped(lane, state[0])) {');
  line('    return;');
  line('  }');
  line(`  let index = workgroupIndex(group, groups) * ${kUnrolledM2lWorkgroupSize}u + lane;`);
  line('  if (index >= params.rangeNodes) {');
  line('    return;');
  line('  }');
  line('  let node = params.firstNode + index;');
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
