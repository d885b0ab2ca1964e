// FloatReference.products: a refined run's float64 products formed by the reference worker (the
// page's, so that its thread never spends seconds in the O(N^2) pair loop), equal bit for bit to
// float64Product's on the caller's thread, the pair loop or the float64 tree, each made once.
import { expect, test } from 'vitest';
import { kCpuKernels } from '../src/parallel/mass-matrix.ts';
import { nodeWorkerPool } from '../src/parallel/node.ts';
import { geometry } from '../src/physics/geometry.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { float64Product } from '../src/run/refine.ts';
import { randomVector } from './helpers/compare.ts';
import { inProcessReference } from './helpers/reference.ts';

const system: DarwinSystem = {
  configuration: geometry('sphere', 400),
  model: 'vector',
  dim: 3,
  epsilon: 1e-2,
  softening: 0,
};

test('the pair loop and the tree, as float64Product forms them here; one key a product made', async () => {
  const { reference, sent } = inProcessReference();
  const products = reference.products();
  const v = randomVector(1200, 5);
  const w = randomVector(1200, 6);
  const pairLoop = products(system);
  expect(await pairLoop(v)).toEqual(float64Product(system)(v));
  const tree = { tolerance: 1e-3 };
  const treeProduct = products(system, tree);
  const local = float64Product(system, undefined, tree);
  expect(await treeProduct(v)).toEqual(local(v));
  expect(await treeProduct(w)).toEqual(local(w));
  // The tree, within its tolerance of M, is not the pair loop: the request named it.
  expect(await treeProduct(v)).not.toEqual(await pairLoop(v));
  expect(sent.map((request) => [request.kind, 'key' in request ? request.key : null])).toEqual([
    ['product', 'product 0'],
    ['product', 'product 1'],
    ['product', 'product 1'],
    ['product', 'product 1'],
    ['product', 'product 0'],
  ]);
});

test('their interaction part eps T v, and p = D v + eps T v from it bit for bit (refine.ts ProductPart)', async () => {
  const { reference, sent } = inProcessReference();
  const products = reference.products();
  const v = randomVector(1200, 5);
  const tree = { tolerance: 1e-3 };
  for (const at of [undefined, tree]) {
    const part = await products(system, at, 'interaction')(v);
    expect(part).toEqual(float64Product(system, undefined, at, 'interaction')(v));
    // D = I (the vector model): the momenta are v + eps T v, as the pair loop and the tree add them.
    expect(Array.from(part, (x, k) => v[k] + x)).toEqual(
      Array.from(float64Product(system, undefined, at)(v)),
    );
  }
  expect(sent.map((request) => request.kind === 'product' && request.part)).toEqual([
    'interaction',
    'interaction',
  ]);
});

test("the threads the worker's products ran on: its pool's, or its own thread alone", async () => {
  const v = randomVector(1200, 5);
  const tree = { tolerance: 1e-3 };
  const alone = inProcessReference().reference;
  expect(alone.productThreads).toBeNull();
  await alone.products()(system, tree)(v);
  expect(alone.productThreads).toBe(1);
  const { reference } = inProcessReference(() => nodeWorkerPool(2, kCpuKernels));
  const product = reference.products()(system, tree);
  // The tree's product on two threads is the one on one only to rounding: why the count is recorded.
  const two = await product(v);
  const one = float64Product(system, undefined, tree)(v);
  const apart = Math.max(...two.map((x, k) => Math.abs(x - one[k]))) / Math.max(...one.map(Math.abs));
  expect(apart).toBeLessThan(1e-13);
  expect(reference.productThreads).toBe(2);
  reference.cancel();
});

test("a product the worker cannot form fails its request with the worker's message", async () => {
  const { reference } = inProcessReference();
  const product = reference.products()(system);
  await expect(product(new Float64Array(5))).rejects.toThrow(/^float64 reference: /);
});
