// Every uniform packer against its WGSL struct, field by field: distinct values in, and each member
// read back at its WGSL offset as its WGSL type must be the value the shader expects there. A
// packer that swapped two fields, wrote one at a wrong offset or as the wrong type fails here,
// where a byte-size check alone would pass. A uniform struct of shaders/ or a packer of
// src/kernels/ without its case here fails too.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kShaderFiles, kShaderSources } from '../src/gpu/shaders.ts';
import { kAssembleParamsBytes, packAssembleParams } from '../src/kernels/assemble.ts';
import { kBiotSavartParamsBytes, packBiotSavartParams } from '../src/kernels/biot-savart.ts';
import { kBlasParamsBytes, kNoSlot, packBlasParams } from '../src/kernels/blas.ts';
import { kKrylovParamsBytes, packKrylovParams, statusCode } from '../src/kernels/krylov.ts';
import { kDenseEpsilonOffset, kDenseParamsBytes, packDenseParams } from '../src/kernels/matvec-dense.ts';
import { kFreeEpsilonOffset, kFreeParamsBytes, packFreeParams } from '../src/kernels/matvec-free.ts';
import { kReduceParamsBytes, packReduceParams } from '../src/kernels/reduce.ts';
import { kQuantityCodes, kRenderParamsBytes, packRenderParams } from '../src/kernels/render.ts';
import {
  kTreeEpsilonOffset,
  kTreeParamsBytes,
  packTreeParams,
  type TreeParams,
  type TreeTableName,
} from '../src/kernels/tree.ts';
import { readMember, structLayout } from './helpers/wgsl.ts';

/** A struct member the shader never reads: named pad…, and packed as 0. */
const isPadding = (member: string) => /^pad/.test(member);

interface PackerCase {
  readonly struct: string;
  readonly source: string;
  readonly bytes: number;
  readonly packed: ArrayBuffer;
  /** Every member but padding: the values the shader must read (floats as the float32 they round to). */
  readonly expected: Readonly<Record<string, number | readonly number[]>>;
}

const viewProjection = Float32Array.from({ length: 16 }, (_, k) => 0.5 + k);

/** Distinct offsets for TreeParams' index tables: its members after pad1, by their WGSL order. */
const treeOffsets = Object.fromEntries(
  structLayout(kShaderSources.tree, 'TreeParams')
    .members.map((member) => member.name)
    .filter((name, k) => k >= 16 && !isPadding(name))
    .map((name, k) => [name, 100 + k]),
) as Record<TreeTableName, number>;
const treeParams: TreeParams = {
  n: 3,
  size: 9,
  epsilon: 0.1,
  softening: 0.3,
  firstNode: 5,
  rangeNodes: 7,
  firstLeaf: 11,
  reducedCount: 13,
  order: 17,
  planarCount: 19,
  far: true,
  planar: false,
  originX: 0.25,
  originY: -0.5,
  offsets: treeOffsets,
};

const kCases: readonly PackerCase[] = [
  {
    struct: 'AssembleParams',
    source: kShaderSources.assemble,
    bytes: kAssembleParamsBytes,
    packed: packAssembleParams({ rowStart: 3, rowCount: 5, blockRow: 2, n: 7, chunks: 11, softening: 0.3 }),
    // a^2 squared in float64, then rounded once.
    expected: { rowStart: 3, rowCount: 5, n: 7, chunks: 11, softeningSquared: 0.3 * 0.3, blockRow: 2 },
  },
  {
    struct: 'DenseParams',
    source: kShaderSources.matvecDense,
    bytes: kDenseParamsBytes,
    packed: packDenseParams({ rowStart: 3, rowCount: 5, size: 7, chunks: 11, epsilon: 0.1 }),
    expected: { rowStart: 3, rowCount: 5, size: 7, chunks: 11, epsilon: 0.1 },
  },
  {
    struct: 'FreeParams',
    source: kShaderSources.matvecFree,
    bytes: kFreeParamsBytes,
    packed: packFreeParams({ n: 3, size: 9, epsilon: 0.1, softening: 0.3, rowStart: 1, rowCount: 2 }),
    expected: { n: 3, size: 9, epsilon: 0.1, softeningSquared: 0.3 * 0.3, rowStart: 1, rowCount: 2 },
  },
  {
    struct: 'BlasParams',
    source: kShaderSources.blas,
    bytes: kBlasParamsBytes,
    packed: packBlasParams({
      size: 3,
      columns: 5,
      columnStride: 7,
      coefficients: [{ slot: 2, scale: -1 }, { scale: 0.25 }, { slot: 9 }],
    }),
    // Coefficients not given: no slot and a scale of 1.
    expected: {
      size: 3,
      columns: 5,
      columnStride: 7,
      slots: [2, kNoSlot, 9, kNoSlot],
      scales: [-1, 0.25, 1, 1],
    },
  },
  {
    struct: 'ReduceParams',
    source: kShaderSources.reduce,
    bytes: kReduceParamsBytes,
    packed: packReduceParams({ size: 3, partialCount: 5, columnStride: 7, slot: 11 }),
    expected: { size: 3, partialCount: 5, columnStride: 7, slot: 11 },
  },
  {
    struct: 'KrylovParams',
    source: kShaderSources.krylov,
    bytes: kKrylovParamsBytes,
    packed: packKrylovParams({
      threshold: 0.1,
      atol: 0.01,
      maxIterations: 13,
      diagonalStatus: 'diverged_indefinite',
      traceSteps: 5,
      size: 7,
      ringStride: 12,
      normFloor: 0.5,
      conditionLimit: 1024,
    }),
    expected: {
      threshold: 0.1,
      atol: 0.01,
      maxIterations: 13,
      diagonalStatus: statusCode('diverged_indefinite'),
      traceSteps: 5,
      size: 7,
      ringStride: 12,
      normFloor: 0.5,
      conditionLimit: 1024,
    },
  },
  {
    struct: 'BiotSavartParams',
    source: kShaderSources.biotSavart,
    bytes: kBiotSavartParamsBytes,
    packed: packBiotSavartParams({ sourceCount: 3, pointCount: 5 }),
    expected: { sourceCount: 3, pointCount: 5 },
  },
  {
    struct: 'RenderParams',
    source: kShaderSources.render,
    bytes: kRenderParamsBytes,
    packed: packRenderParams({
      viewProjection,
      viewportPixels: [640, 480],
      pointPixels: 3,
      arrowScale: 0.5,
      colourMin: -2,
      colourMax: 4,
      colourBy: 'momentum',
      arrowOf: 'darwin',
      discStride: 3,
      arrowStride: 6,
      shaded: true,
      count: 11,
    }),
    expected: {
      viewProjection: [...viewProjection],
      viewportPixels: [640, 480],
      pointPixels: 3,
      arrowScale: 0.5,
      colourMin: -2,
      colourMax: 4,
      colourBy: kQuantityCodes.momentum,
      arrowOf: kQuantityCodes.darwin,
      arrowStride: 6,
      shaded: 1,
      count: 11,
      discStride: 3,
    },
  },
  {
    struct: 'TreeParams',
    source: kShaderSources.tree,
    bytes: kTreeParamsBytes,
    packed: packTreeParams(treeParams),
    expected: {
      n: 3,
      size: 9,
      epsilon: 0.1,
      softeningSquared: 0.3 * 0.3,
      firstNode: 5,
      rangeNodes: 7,
      firstLeaf: 11,
      reducedCount: 13,
      order: 17,
      planarCount: 19,
      far: 1,
      planar: 0,
      originX: 0.25,
      originY: -0.5,
      ...treeOffsets,
    },
  },
];

describe('uniform packers write each WGSL struct member at its offset', () => {
  test.each(kCases.map((c) => [c.struct, c] as const))(
    '%s',
    (_, { struct, source, bytes, packed, expected }) => {
      const layout = structLayout(source, struct);
      expect(layout.size).toBe(bytes);
      expect(packed.byteLength).toBe(bytes);
      const members = layout.members.filter((member) => !isPadding(member.name));
      expect(members.map((member) => member.name).sort()).toEqual(Object.keys(expected).sort());
      for (const member of members) {
        const want = [expected[member.name]]
          .flat()
          .map((value) => (member.scalar === 'f32' ? Math.fround(value) : value));
        expect(readMember(packed, member), member.name).toEqual(want);
      }
      for (const member of layout.members.filter((m) => isPadding(m.name)))
        expect(readMember(packed, member), member.name).toEqual([0]);
    },
  );
});

// setEpsilon (issue 11's sweep over eps) rewrites the epsilon member alone, at these offsets.
describe('the epsilon offsets that setEpsilon writes are the WGSL members', () => {
  test.each([
    ['DenseParams', kShaderSources.matvecDense, kDenseEpsilonOffset],
    ['FreeParams', kShaderSources.matvecFree, kFreeEpsilonOffset],
    ['TreeParams', kShaderSources.tree, kTreeEpsilonOffset],
  ] as const)('%s', (struct, source, offset) => {
    const epsilon = structLayout(source, struct).members.find((member) => member.name === 'epsilon');
    expect(epsilon).toMatchObject({ offset, scalar: 'f32', components: 1 });
  });
});

// The cases above are a hand list: this holds it to the source, so a new uniform is checked as soon
// as it is written. A packer is named pack<Struct> after the WGSL struct it writes.
test('every var<uniform> struct of shaders/ and every exported pack…Params of src/kernels/ has a case', () => {
  const cased = kCases.map((c) => c.struct).sort();
  const uniforms = Object.values(kShaderFiles).flatMap((source) =>
    [...source.matchAll(/var<uniform>\s+\w+\s*:\s*(\w+)/g)].map((match) => match[1]),
  );
  expect([...new Set(uniforms)].sort()).toEqual(cased);
  const kernels = resolve(import.meta.dirname, '../src/kernels');
  const packers = readdirSync(kernels)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(kernels, file), 'utf8').matchAll(/export function pack(\w+Params)\(/g)].map(
        (match) => match[1],
      ),
    );
  expect(packers.sort()).toEqual(cased);
});
