// Generates Keras reference fixtures (per-layer output shapes and parameter
// counts) with the TensorFlow.js Layers API, a port of Keras.
//
// Output (relative to the repo root):
//   tests/CnnGen.Generators.Tests/Fixtures/keras/seed-models.json
//   tests/CnnGen.Generators.Tests/Fixtures/keras/random-stacks.json
//
// Rerun: cd tools/keras-reference && npm ci && node make-fixtures.mjs
// Output is deterministic: rerunning yields byte-identical files.

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';

await tfc.setBackend('cpu');

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', '..', 'tests', 'CnnGen.Generators.Tests', 'Fixtures', 'keras');
const GENERATOR =
  `@tensorflow/tfjs-layers ${tfl.version_layers}, @tensorflow/tfjs-core ${tfc.version_core}, ` +
  `@tensorflow/tfjs-backend-cpu ${version_cpu}`;
const RANDOM_SEED = 20261124;
const RANDOM_COUNT = 150;

// ---------------------------------------------------------------------------
// Layer factory: neutral JSON description -> tfjs layer.
// ---------------------------------------------------------------------------

function makeLayer(d, name) {
  const n = name ? { name } : {};
  switch (d.type) {
    case 'Conv2D':
      return tfl.layers.conv2d({
        ...n, filters: d.filters, kernelSize: d.kernel, strides: d.strides,
        padding: d.padding, activation: d.activation, useBias: d.useBias,
      });
    case 'DepthwiseConv2D':
      return tfl.layers.depthwiseConv2d({
        ...n, kernelSize: d.kernel, depthMultiplier: d.depthMultiplier, strides: d.strides,
        padding: d.padding, activation: d.activation, useBias: d.useBias,
      });
    case 'SeparableConv2D':
      return tfl.layers.separableConv2d({
        ...n, filters: d.filters, kernelSize: d.kernel, depthMultiplier: d.depthMultiplier,
        strides: d.strides, padding: d.padding, activation: d.activation, useBias: d.useBias,
      });
    case 'MaxPool2D':
    case 'AvgPool2D': {
      const cfg = { ...n, poolSize: d.pool, padding: d.padding };
      if (d.strides !== null) cfg.strides = d.strides; // null -> pool size (Keras default)
      return d.type === 'MaxPool2D' ? tfl.layers.maxPooling2d(cfg) : tfl.layers.averagePooling2d(cfg);
    }
    case 'GlobalAvgPool2D': return tfl.layers.globalAveragePooling2d({ ...n });
    case 'GlobalMaxPool2D': return tfl.layers.globalMaxPooling2d({ ...n });
    case 'Flatten': return tfl.layers.flatten({ ...n });
    case 'Dense':
      return tfl.layers.dense({ ...n, units: d.units, activation: d.activation, useBias: d.useBias });
    case 'Dropout': return tfl.layers.dropout({ ...n, rate: d.rate });
    case 'BatchNorm': return tfl.layers.batchNormalization({ ...n, axis: -1 });
    case 'Relu': return tfl.layers.reLU({ ...n });
    case 'Sigmoid': return tfl.layers.activation({ ...n, activation: 'sigmoid' });
    case 'Tanh': return tfl.layers.activation({ ...n, activation: 'tanh' });
    case 'Softmax': return tfl.layers.softmax({ ...n });
    default: throw new Error(`unknown layer type ${d.type}`);
  }
}

const sizeOf = (vars) => vars.reduce((acc, v) => acc + v.shape.reduce((a, b) => a * b, 1), 0);

function counts(layer) {
  return {
    params: layer.countParams(),
    trainableParams: sizeOf(layer.trainableWeights),
    nonTrainableParams: sizeOf(layer.nonTrainableWeights),
  };
}

// Description + computed fields, description keys first (stable order).
function entry(d, outShape, layer) {
  return { ...d, outputShape: outShape.slice(1), ...counts(layer) };
}

// ---------------------------------------------------------------------------
// Seed models (functional API, so Add can reference named earlier outputs).
// ---------------------------------------------------------------------------

const conv = (filters, k, extra = {}) => ({
  type: 'Conv2D', filters, kernel: [k, k], strides: 1, padding: 'valid', activation: 'linear', useBias: true,
  ...extra,
});
const maxPool = (p) => ({ type: 'MaxPool2D', pool: [p, p], strides: null, padding: 'valid' });
const dense = (units, activation) => ({ type: 'Dense', units, activation, useBias: true });
const dropout = (rate) => ({ type: 'Dropout', rate });
const BN = { type: 'BatchNorm' };
const RELU = { type: 'Relu' };
const FLAT = { type: 'Flatten' };
const same = { padding: 'same' };
const relu = { activation: 'relu' };

function deepMnistLayers() {
  const block = [conv(50, 3, same), BN, RELU, conv(50, 3, same), BN, RELU, maxPool(2)];
  return [...block, ...block, ...block, FLAT, dense(50, 'relu'), dropout(0.5), dense(10, 'softmax')];
}

function deepMnistNinLayers() {
  const first = [conv(50, 3, same), BN, RELU, conv(50, 3, same), conv(25, 1), BN, RELU, maxPool(2)];
  const block = [conv(50, 3, same), conv(25, 1), BN, RELU, conv(50, 3, same), conv(25, 1), BN, RELU, maxPool(2)];
  return [...first, ...block, ...block, FLAT, dense(50, 'relu'), dropout(0.5), dense(10, 'softmax')];
}

const SEEDS = [
  {
    name: 'MnistCnn', input: [28, 28, 1],
    layers: [conv(32, 3, relu), conv(64, 3, relu), maxPool(2), dropout(0.25), FLAT,
      dense(128, 'relu'), dropout(0.5), dense(10, 'softmax')],
    expect: { totalParams: 1199882 },
  },
  {
    name: 'Shapes150', input: [150, 150, 3],
    layers: [conv(32, 3, { ...same, ...relu }), maxPool(2), conv(32, 4, relu), maxPool(2), FLAT,
      dense(256, 'relu'), dense(5, 'softmax')],
    expect: { shapeBeforeFlatten: [36, 36, 32], flattenSize: 41472 },
  },
  { name: 'Shapes32Same', input: [32, 32, 3], layers: [conv(32, 3, same)] },
  { name: 'Shapes32Valid', input: [32, 32, 3], layers: [conv(32, 3)] },
  {
    name: 'Cifar10Cnn', input: [32, 32, 3],
    layers: [conv(32, 3, relu), maxPool(2), conv(64, 3, relu), maxPool(2), conv(64, 3, relu), FLAT,
      dense(64, 'relu'), dense(10, 'linear')],
    expect: { totalParams: 122570 },
  },
  {
    name: 'DeepMnistCnn', input: [28, 28, 1], layers: deepMnistLayers(),
    expect: { totalParams: 137510, trainableParams: 136910, nonTrainableParams: 600 },
  },
  {
    name: 'DeepMnistNinCnn', input: [28, 28, 1], layers: deepMnistNinLayers(),
    expect: { totalParams: 87135, trainableParams: 86785, nonTrainableParams: 350 },
  },
  {
    name: 'ResNetMini', input: [28, 28, 1],
    layers: [
      conv(32, 3, { ...same, ...relu, name: 'stem' }),
      { type: 'SeparableConv2D', filters: 32, kernel: [3, 3], depthMultiplier: 1, strides: 1, padding: 'same', activation: 'relu', useBias: true },
      BN,
      { type: 'Add', from: 'stem' },
      maxPool(2),
      conv(64, 1, { name: 'project' }),
      { type: 'DepthwiseConv2D', kernel: [3, 3], depthMultiplier: 1, strides: 1, padding: 'same', activation: 'relu', useBias: true },
      conv(64, 1),
      BN,
      { type: 'Add', from: 'project' },
      RELU,
      { type: 'GlobalAvgPool2D' },
      dense(10, 'softmax'),
    ],
  },
];

const problems = [];

function buildSeed(seed) {
  const input = tfl.input({ shape: seed.input, name: `${seed.name}_input` });
  const named = new Map();
  let x = input;
  const layers = [];
  seed.layers.forEach((d, i) => {
    let layer;
    if (d.type === 'Add') {
      if (!named.has(d.from)) throw new Error(`${seed.name}: unknown Add source ${d.from}`);
      layer = tfl.layers.add({ name: `${seed.name}_${i}_add` });
      x = layer.apply([x, named.get(d.from)]);
    } else {
      // Explicit, model-scoped names keep tfjs' global name counters out of the picture.
      layer = makeLayer(d, `${seed.name}_${i}_${d.name ?? d.type.toLowerCase()}`);
      x = layer.apply(x);
    }
    if (d.name) named.set(d.name, x);
    layers.push(entry(d, x.shape, layer));
  });
  const model = tfl.model({ inputs: input, outputs: x, name: seed.name });
  const result = {
    name: seed.name,
    input: seed.input,
    layers,
    totalParams: model.countParams(),
    trainableParams: sizeOf(model.trainableWeights),
    nonTrainableParams: sizeOf(model.nonTrainableWeights),
  };
  const sum = (k) => layers.reduce((a, l) => a + l[k], 0);
  if (sum('params') !== result.totalParams) problems.push(`${seed.name}: layer params do not sum to model total`);

  const e = seed.expect ?? {};
  for (const k of ['totalParams', 'trainableParams', 'nonTrainableParams']) {
    if (e[k] !== undefined && e[k] !== result[k]) {
      problems.push(`${seed.name}: expected ${k} ${e[k]}, tfjs says ${result[k]}`);
    }
  }
  if (e.shapeBeforeFlatten) {
    const fi = layers.findIndex((l) => l.type === 'Flatten');
    const before = JSON.stringify(layers[fi - 1].outputShape);
    const after = layers[fi].outputShape[0];
    if (before !== JSON.stringify(e.shapeBeforeFlatten)) problems.push(`${seed.name}: before Flatten ${before}`);
    if (after !== e.flattenSize) problems.push(`${seed.name}: Flatten size ${after}`);
  }
  console.log(
    `${seed.name.padEnd(16)} total=${result.totalParams} trainable=${result.trainableParams} ` +
    `nonTrainable=${result.nonTrainableParams} out=${JSON.stringify(layers.at(-1).outputShape)}`);
  return result;
}

// ---------------------------------------------------------------------------
// Random stacks.
// ---------------------------------------------------------------------------

function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rng = mulberry32(RANDOM_SEED);
const int = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = (arr) => arr[Math.floor(rng() * arr.length)];
const chance = (p) => rng() < p;

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];
const SPATIAL = ['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'MaxPool2D', 'AvgPool2D'];
const REDUCE = ['Flatten', 'GlobalAvgPool2D', 'GlobalMaxPool2D'];
const ELEMENTWISE = ['Dropout', 'BatchNorm', 'Relu', 'Sigmoid', 'Tanh', 'Softmax'];
const ALL_TYPES = [...SPATIAL, ...REDUCE, 'Dense', ...ELEMENTWISE];
const NEEDS_RANK3 = new Set([...SPATIAL, ...REDUCE]);

function pair(max, rectP) {
  const a = int(1, max);
  return chance(rectP) ? [a, int(1, max)] : [a, a];
}

// Random layer description. `careful` biases parameters towards validity given
// the estimated current shape `shape` (channels-last, no batch dim).
function genLayer(type, careful, shape) {
  const strides = () => (careful ? pick([1, 1, 1, 1, 2, 2, 3]) : int(1, 3));
  const padding = (k) => {
    if (!careful) return chance(0.65) ? 'valid' : 'same';
    const fits = k[0] <= shape[0] && k[1] <= shape[1];
    return fits && chance(0.4) ? 'valid' : 'same';
  };
  const kernel = () => (careful ? pair(pick([1, 1, 2, 3, 3, 3, 4, 5, 6]), 0) : pair(6, 0.3));
  const act = () => pick(ACTIVATIONS);
  const bias = () => chance(0.7);
  switch (type) {
    case 'Conv2D': {
      const k = careful && chance(0.25) ? [int(1, 6), int(1, 6)] : kernel();
      return { type, filters: int(1, 8), kernel: k, strides: strides(), padding: padding(k), activation: act(), useBias: bias() };
    }
    case 'DepthwiseConv2D': {
      const k = kernel();
      return { type, kernel: k, depthMultiplier: int(1, 3), strides: strides(), padding: padding(k), activation: act(), useBias: bias() };
    }
    case 'SeparableConv2D': {
      const k = kernel();
      return { type, filters: int(1, 8), kernel: k, depthMultiplier: 1, strides: strides(), padding: padding(k), activation: act(), useBias: bias() };
    }
    case 'MaxPool2D':
    case 'AvgPool2D': {
      const p = pair(4, 0.25);
      const s = chance(0.5) ? null : strides();
      return { type, pool: p, strides: s, padding: padding(p) };
    }
    case 'Dense': return { type, units: int(1, 8), activation: act(), useBias: bias() };
    case 'Dropout': return { type, rate: pick([0.1, 0.2, 0.25, 0.3, 0.5]) };
    default: return { type };
  }
}

// Shape estimate used only for biasing generation; tfjs is the ground truth.
function estimate(shape, d) {
  if (shape.length !== 3) return shape;
  const out = (n, k, s, pad) => (pad === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1);
  switch (d.type) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      const c = d.type === 'Conv2D' || d.type === 'SeparableConv2D' ? d.filters : shape[2] * d.depthMultiplier;
      return [out(shape[0], d.kernel[0], d.strides, d.padding), out(shape[1], d.kernel[1], d.strides, d.padding), c];
    }
    case 'MaxPool2D':
    case 'AvgPool2D': {
      const s = d.strides ?? null;
      return [out(shape[0], d.pool[0], s ?? d.pool[0], d.padding), out(shape[1], d.pool[1], s ?? d.pool[1], d.padding), shape[2]];
    }
    case 'Flatten': return [shape[0] * shape[1] * shape[2]];
    case 'GlobalAvgPool2D':
    case 'GlobalMaxPool2D': return [shape[2]];
    case 'Dense': return shape; // never chosen on 3-D in careful mode
    default: return shape;
  }
}

function genStack() {
  const careful = chance(0.45);
  // Wild stacks often start small so valid padding can run out of pixels.
  const maxSide = !careful && chance(0.6) ? 6 : 40;
  const h = int(1, maxSide);
  const w = chance(0.6) ? h : int(1, maxSide);
  const input = [h, w, int(1, 4)];
  const n = int(1, 8);
  const layers = [];
  let shape = input;
  for (let i = 0; i < n; i++) {
    let type;
    if (!careful) {
      type = chance(0.1) ? 'Dense' : pick(ALL_TYPES);
    } else if (shape.length === 3) {
      const r = rng();
      type = r < 0.45 ? pick(SPATIAL) : r < 0.7 ? pick(ELEMENTWISE) : pick(REDUCE);
    } else {
      type = chance(0.55) ? 'Dense' : pick(ELEMENTWISE);
    }
    const d = genLayer(type, careful, shape);
    layers.push(d);
    shape = estimate(shape, d);
  }
  return { input, layers };
}

function runStack(stack) {
  const model = tfl.sequential();
  model.add(tfl.layers.inputLayer({ inputShape: stack.input, name: 'input' }));
  const out = [];
  let error = null;
  let errorKind = null;
  let errorLayer = null;
  for (let i = 0; i < stack.layers.length; i++) {
    const d = stack.layers[i];
    const rank = model.outputs[0].shape.length - 1;
    if (d.type === 'Dense' && rank === 3) {
      // Keras would apply Dense to the last axis; CnnGen treats it as an error.
      [error, errorKind, errorLayer] = ['dense-on-3d', 'dense-on-3d', i];
      break;
    }
    const layer = makeLayer(d, `layer_${i}`); // per-stack names -> stable error messages
    try {
      model.add(layer);
    } catch (e) {
      const msg = String(e.message);
      errorKind = /negative dimension/i.test(msg) ? 'nonpositive' : NEEDS_RANK3.has(d.type) && rank !== 3 ? 'rank' : 'tfjs';
      [error, errorLayer] = [msg, i];
      break;
    }
    if (NEEDS_RANK3.has(d.type) && rank !== 3) {
      [error, errorKind, errorLayer] = ['rank', 'rank', i];
      break;
    }
    const shape = model.outputs[0].shape;
    if (shape.slice(1).some((v) => v === null || v <= 0)) {
      [error, errorKind, errorLayer] = ['nonpositive', 'nonpositive', i];
      break;
    }
    out.push(entry(d, shape, layer));
  }
  // Layers from the failing one on are listed without computed fields.
  const layers = [...out, ...stack.layers.slice(out.length)];
  return { input: stack.input, layers, error, errorKind, errorLayer };
}

// ---------------------------------------------------------------------------

const write = (file, obj) => {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, file), JSON.stringify(obj, null, 2) + '\n');
};

console.log(GENERATOR);
const models = SEEDS.map(buildSeed);
write('seed-models.json', { generator: GENERATOR, models });

const stacks = [];
for (let i = 0; i < RANDOM_COUNT; i++) stacks.push(runStack(genStack()));
write('random-stacks.json', { generator: GENERATOR, seed: RANDOM_SEED, stacks });

const tally = {};
for (const s of stacks) tally[s.errorKind ?? 'valid'] = (tally[s.errorKind ?? 'valid'] ?? 0) + 1;
console.log(`random stacks: ${JSON.stringify(tally)}`);

if (problems.length) {
  console.error('MISMATCHES:\n  ' + problems.join('\n  '));
  process.exitCode = 1;
} else {
  console.log('all expected seed-model numbers match');
}
