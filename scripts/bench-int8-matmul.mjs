#!/usr/bin/env node
// Which int8 matrix product onnxruntime-node runs fastest on this CPU, at the shape of ViT-L's MLP
// at 518×518 ([1370, 1024] × [1024, 4096]), against the float32 Gemm. Not a test.
//
//   npm run build && node scripts/bench-int8-matmul.mjs [--runs 10]
//
// Candidates (weights int8 per column, activations quantised per run):
//   fp32          Gemm(transB = 1) with bias: the float32 baseline
//   dqmm          com.microsoft DynamicQuantizeMatMul, symmetric weights (no zero point): the int8 pass's choice
//   dqmm-zp       the same with an explicit zero-point tensor
//   dql-mmitf     DynamicQuantizeLinear + com.microsoft MatMulIntegerToFloat
//   dql-mmi       DynamicQuantizeLinear + MatMulInteger + Cast + scale Muls + bias Add
// Prints ms per product and GOP/s, each the mean of --runs after one warm-up; the machine may be
// shared, so compare the rows of one run.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, serializeModel } from '@aaclip/core';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const M = 1370;
const K = 1024;
const N = 4096;
let seed = 1;
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
const weight = Float32Array.from({ length: N * K }, random);
const quantized = Int8Array.from({ length: K * N }, () => Math.round(random() * 250));
const scales = new Float32Array(N).fill(0.004);
const bias = new Float32Array(N).fill(0.1);

function build(kind) {
  const g = new GraphBuilder(kind);
  const x = g.input('x', 'F32', [M, K]);
  let y;
  if (kind === 'fp32') {
    y = g.linearRows(x, { dtype: 'F32', shape: [N, K], data: weight }, { dtype: 'F32', shape: [N], data: bias });
  } else {
    const b = g.initializer({ dtype: 'I8', shape: [K, N], data: quantized }, 'w_int8');
    const s = g.initializer({ dtype: 'F32', shape: [N], data: scales }, 'w_scale');
    const zp = g.initializer({ dtype: 'I8', shape: [N], data: new Int8Array(N) }, 'w_zero_point');
    const c = g.initializer({ dtype: 'F32', shape: [N], data: bias }, 'bias');
    const ms = { domain: 'com.microsoft' };
    if (kind === 'dqmm') y = g.node('DynamicQuantizeMatMul', [x, b, s, '', c], {}, ms);
    else if (kind === 'dqmm-zp') y = g.node('DynamicQuantizeMatMul', [x, b, s, zp, c], {}, ms);
    else {
      const [xq, xs, xz] = g.nodeMulti('DynamicQuantizeLinear', [x], {}, { outputs: 3 });
      if (kind === 'dql-mmitf') y = g.node('MatMulIntegerToFloat', [xq, b, xs, s, xz, zp, c], {}, ms);
      else y = g.add(g.mul(g.mul(g.cast(g.node('MatMulInteger', [xq, b, xz, zp]), 'F32'), xs), s), c);
    }
  }
  g.output(y, 'y', 'F32', [M, N]);
  return serializeModel(g.build()).model;
}

const x = new ort.Tensor('float32', Float32Array.from({ length: M * K }, random), [M, K]);
const runs = Number(values.runs);
const rows = [];
for (const kind of ['fp32', 'dqmm', 'dqmm-zp', 'dql-mmitf', 'dql-mmi']) {
  const session = await ort.InferenceSession.create(build(kind), { intraOpNumThreads: os.availableParallelism(), graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  await session.run({ x });
  const start = performance.now();
  for (let i = 0; i < runs; i++) await session.run({ x });
  const ms = (performance.now() - start) / runs;
  rows.push({ kind, ms: +ms.toFixed(1), gops: Math.round((2 * M * K * N) / ms / 1e6) });
  await session.release();
}
console.log(JSON.stringify({ shape: [M, K, N], threads: os.availableParallelism(), loadAverage: os.loadavg().map((l) => +l.toFixed(2)), rows }, null, 2));
