// Builds Keras 3's ResNet50, VGG16 and MobileNetV2 (keras.applications, alpha 1.0,
// 224x224x3 input), each with and without the ImageNet top, with the TensorFlow.js Layers
// functional API, layer for layer as keras/src/applications/{resnet,vgg16,mobilenet_v2}.py
// define them: same layer names, order, arguments and connections.
//
// Output (relative to the repo root):
//   tests/CnnGen.Generators.Tests/Fixtures/keras/applications.json
//
// Per model: Keras' call, totals, and per layer (in Keras' `model.layers` order, the input
// first): name, Keras class name, inbound layer names, the options that shape the layer,
// output shape (no batch dim) and parameter counts.
//
// The six totals Keras reports are checked; a mismatch exits with code 1.
//
// Rerun: cd tools/keras-reference && npm ci && node make-applications.mjs
// (then node make-applications-cs.mjs to regenerate the C# definitions from the JSON).
// Output is deterministic: rerunning yields a byte-identical file.

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';

await tfc.setBackend('cpu');

const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, '..', '..', 'tests', 'CnnGen.Generators.Tests', 'Fixtures', 'keras', 'applications.json');
const GENERATOR =
  `@tensorflow/tfjs-layers ${tfl.version_layers}, @tensorflow/tfjs-core ${tfc.version_core}, ` +
  `@tensorflow/tfjs-backend-cpu ${version_cpu}`;

const L = tfl.layers;
const INPUT_SHAPE = [224, 224, 3];

// Keras 3 names the input of `layers.Input(shape)` "input_layer".
const modelInput = () => tfl.input({ shape: INPUT_SHAPE, name: 'input_layer' });

// Keras' Conv2D defaults: strides 1, padding 'valid', use_bias True, no activation.
const conv = (filters, kernel, name, o = {}) =>
  L.conv2d({ filters, kernelSize: kernel, strides: o.strides ?? 1, padding: o.padding ?? 'valid',
    useBias: o.useBias ?? true, activation: o.activation ?? 'linear', name });

// ---------------------------------------------------------------------------
// ResNet50 (keras/src/applications/resnet.py: ResNet, residual_block_v1,
// stack_residual_blocks_v1). Conv biases on (use_bias=True), BN epsilon 1.001e-5.
// ---------------------------------------------------------------------------

const resnetBn = (name) => L.batchNormalization({ axis: -1, epsilon: 1.001e-5, name });
const relu = (name) => L.activation({ activation: 'relu', name });

function residualBlockV1(x, filters, name, { stride = 1, kernel = 3, convShortcut = true } = {}) {
  let shortcut = x;
  if (convShortcut) {
    shortcut = conv(4 * filters, 1, `${name}_0_conv`, { strides: stride }).apply(x);
    shortcut = resnetBn(`${name}_0_bn`).apply(shortcut);
  }
  x = conv(filters, 1, `${name}_1_conv`, { strides: stride }).apply(x);
  x = resnetBn(`${name}_1_bn`).apply(x);
  x = relu(`${name}_1_relu`).apply(x);
  x = conv(filters, kernel, `${name}_2_conv`, { padding: 'same' }).apply(x);
  x = resnetBn(`${name}_2_bn`).apply(x);
  x = relu(`${name}_2_relu`).apply(x);
  x = conv(4 * filters, 1, `${name}_3_conv`).apply(x);
  x = resnetBn(`${name}_3_bn`).apply(x);
  x = L.add({ name: `${name}_add` }).apply([shortcut, x]);
  return relu(`${name}_out`).apply(x);
}

function stackResidualBlocksV1(x, filters, blocks, name, stride1 = 2) {
  x = residualBlockV1(x, filters, `${name}_block1`, { stride: stride1 });
  for (let i = 2; i <= blocks; i++) {
    x = residualBlockV1(x, filters, `${name}_block${i}`, { convShortcut: false });
  }
  return x;
}

function resNet50(includeTop) {
  const input = modelInput();
  let x = L.zeroPadding2d({ padding: [[3, 3], [3, 3]], name: 'conv1_pad' }).apply(input);
  x = conv(64, 7, 'conv1_conv', { strides: 2 }).apply(x);
  x = resnetBn('conv1_bn').apply(x);
  x = relu('conv1_relu').apply(x);
  x = L.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'pool1_pad' }).apply(x);
  x = L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x);
  x = stackResidualBlocksV1(x, 64, 3, 'conv2', 1);
  x = stackResidualBlocksV1(x, 128, 4, 'conv3');
  x = stackResidualBlocksV1(x, 256, 6, 'conv4');
  x = stackResidualBlocksV1(x, 512, 3, 'conv5');
  if (includeTop) {
    x = L.globalAveragePooling2d({ name: 'avg_pool' }).apply(x);
    x = L.dense({ units: 1000, activation: 'softmax', name: 'predictions' }).apply(x);
  }
  return tfl.model({ inputs: input, outputs: x, name: 'resnet50' });
}

// ---------------------------------------------------------------------------
// VGG16 (keras/src/applications/vgg16.py).
// ---------------------------------------------------------------------------

function vgg16(includeTop) {
  const input = modelInput();
  let x = input;
  const blocks = [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]];
  blocks.forEach(([filters, convs], b) => {
    for (let c = 1; c <= convs; c++) {
      x = conv(filters, 3, `block${b + 1}_conv${c}`, { padding: 'same', activation: 'relu' }).apply(x);
    }
    x = L.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x);
  });
  if (includeTop) {
    x = L.flatten({ name: 'flatten' }).apply(x);
    x = L.dense({ units: 4096, activation: 'relu', name: 'fc1' }).apply(x);
    x = L.dense({ units: 4096, activation: 'relu', name: 'fc2' }).apply(x);
    x = L.dense({ units: 1000, activation: 'softmax', name: 'predictions' }).apply(x);
  }
  return tfl.model({ inputs: input, outputs: x, name: 'vgg16' });
}

// ---------------------------------------------------------------------------
// MobileNetV2 (keras/src/applications/mobilenet_v2.py: MobileNetV2,
// _inverted_res_block, _make_divisible; imagenet_utils.correct_pad). alpha = 1.0.
// ---------------------------------------------------------------------------

const ALPHA = 1.0;

function makeDivisible(v, divisor, minValue = divisor) {
  let newV = Math.max(minValue, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (newV < 0.9 * v) newV += divisor; // round down by at most 10%
  return newV;
}

// imagenet_utils.correct_pad for channels-last: ((top, bottom), (left, right)).
function correctPad(shape, kernel) {
  const [h, w] = [shape[1], shape[2]];
  const adjust = [1 - (h % 2), 1 - (w % 2)];
  const correct = [Math.floor(kernel / 2), Math.floor(kernel / 2)];
  return [[correct[0] - adjust[0], correct[0]], [correct[1] - adjust[1], correct[1]]];
}

const mbBn = (name) => L.batchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.999, name });
const relu6 = (name) => L.reLU({ maxValue: 6, name });

function invertedResBlock(inputs, { expansion, stride, filters, blockId }) {
  const inChannels = inputs.shape[3];
  const pointwiseFilters = makeDivisible(Math.trunc(filters * ALPHA), 8);
  let x = inputs;
  let prefix = `block_${blockId}_`;
  if (blockId) {
    x = conv(expansion * inChannels, 1, `${prefix}expand`, { padding: 'same', useBias: false }).apply(x);
    x = mbBn(`${prefix}expand_BN`).apply(x);
    x = relu6(`${prefix}expand_relu`).apply(x);
  } else {
    prefix = 'expanded_conv_';
  }
  if (stride === 2) {
    x = L.zeroPadding2d({ padding: correctPad(x.shape, 3), name: `${prefix}pad` }).apply(x);
  }
  x = L.depthwiseConv2d({
    kernelSize: 3, strides: stride, activation: 'linear', useBias: false,
    padding: stride === 1 ? 'same' : 'valid', name: `${prefix}depthwise`,
  }).apply(x);
  x = mbBn(`${prefix}depthwise_BN`).apply(x);
  x = relu6(`${prefix}depthwise_relu`).apply(x);
  x = conv(pointwiseFilters, 1, `${prefix}project`, { padding: 'same', useBias: false }).apply(x);
  x = mbBn(`${prefix}project_BN`).apply(x);
  if (inChannels === pointwiseFilters && stride === 1) {
    return L.add({ name: `${prefix}add` }).apply([inputs, x]);
  }
  return x;
}

function mobileNetV2(includeTop) {
  const input = modelInput();
  let x = conv(makeDivisible(32 * ALPHA, 8), 3, 'Conv1', { strides: 2, padding: 'same', useBias: false }).apply(input);
  x = mbBn('bn_Conv1').apply(x);
  x = relu6('Conv1_relu').apply(x);
  const blocks = [
    [16, 1, 1], [24, 2, 6], [24, 1, 6], [32, 2, 6], [32, 1, 6], [32, 1, 6],
    [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6], [96, 1, 6], [96, 1, 6], [96, 1, 6],
    [160, 2, 6], [160, 1, 6], [160, 1, 6], [320, 1, 6],
  ];
  blocks.forEach(([filters, stride, expansion], blockId) => {
    x = invertedResBlock(x, { filters, stride, expansion, blockId });
  });
  const lastBlockFilters = ALPHA > 1.0 ? makeDivisible(1280 * ALPHA, 8) : 1280;
  x = conv(lastBlockFilters, 1, 'Conv_1', { useBias: false }).apply(x);
  x = mbBn('Conv_1_bn').apply(x);
  x = relu6('out_relu').apply(x);
  if (includeTop) {
    // Keras leaves this layer unnamed; in a fresh session its automatic name is this one.
    x = L.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x);
    x = L.dense({ units: 1000, activation: 'softmax', name: 'predictions' }).apply(x);
  }
  return tfl.model({ inputs: input, outputs: x, name: 'mobilenetv2_1.00_224' });
}

// ---------------------------------------------------------------------------
// Description of a built model.
// ---------------------------------------------------------------------------

const sizeOf = (vars) => vars.reduce((acc, v) => acc + v.shape.reduce((a, b) => a * b, 1), 0);

// The options that shape a layer, from tfjs' own config (so they are what tfjs built), in a
// neutral form: Keras' argument meaning, camelCase names, pairs as [height, width].
function options(layer) {
  const c = layer.getConfig();
  switch (layer.getClassName()) {
    case 'InputLayer': return { shape: c.batchInputShape.slice(1) };
    case 'Conv2D':
      return { filters: c.filters, kernel: c.kernelSize, strides: c.strides, padding: c.padding,
        useBias: c.useBias, activation: c.activation, dilation: c.dilationRate };
    case 'DepthwiseConv2D':
      return { kernel: c.kernelSize, depthMultiplier: c.depthMultiplier, strides: c.strides,
        padding: c.padding, useBias: c.useBias, activation: c.activation, dilation: c.dilationRate };
    case 'BatchNormalization':
      return { axis: c.axis, momentum: c.momentum, epsilon: c.epsilon, center: c.center, scale: c.scale };
    case 'ReLU': return { maxValue: c.maxValue ?? null };
    case 'Activation': return { activation: c.activation };
    case 'ZeroPadding2D': return { padding: c.padding };
    case 'MaxPooling2D': return { pool: c.poolSize, strides: c.strides, padding: c.padding };
    case 'Dense': return { units: c.units, activation: c.activation, useBias: c.useBias };
    case 'Add':
    case 'Flatten':
    case 'GlobalAveragePooling2D':
      return {};
    default: throw new Error(`no option mapping for ${layer.getClassName()}`);
  }
}

function describe(model) {
  const layers = model.layers.map((layer) => {
    if (layer.inboundNodes.length !== 1) throw new Error(`${layer.name}: shared layers are not expected`);
    return {
      name: layer.name,
      className: layer.getClassName(),
      inbound: layer.inboundNodes[0].inboundLayers.map((l) => l.name),
      ...options(layer),
      outputShape: layer.outputShape.slice(1),
      params: layer.countParams(),
      trainableParams: sizeOf(layer.trainableWeights),
      nonTrainableParams: sizeOf(layer.nonTrainableWeights),
    };
  });
  return {
    totalParams: model.countParams(),
    trainableParams: sizeOf(model.trainableWeights),
    nonTrainableParams: sizeOf(model.nonTrainableWeights),
    outputShape: model.outputs[0].shape.slice(1),
    layerCount: layers.length,
    layers,
  };
}

// ---------------------------------------------------------------------------

const call = (fn, top) =>
  `keras.applications.${fn}(include_top=${top ? 'True' : 'False'}, weights=None, ` +
  `input_shape=(224, 224, 3)${top ? '' : ', pooling=None'})`;

const MODELS = [
  { name: 'ResNet50', fn: 'ResNet50', source: 'keras/src/applications/resnet.py', build: resNet50, top: true, expect: 25636712 },
  { name: 'ResNet50NoTop', fn: 'ResNet50', source: 'keras/src/applications/resnet.py', build: resNet50, top: false, expect: 23587712 },
  { name: 'VGG16', fn: 'VGG16', source: 'keras/src/applications/vgg16.py', build: vgg16, top: true, expect: 138357544 },
  { name: 'VGG16NoTop', fn: 'VGG16', source: 'keras/src/applications/vgg16.py', build: vgg16, top: false, expect: 14714688 },
  { name: 'MobileNetV2', fn: 'MobileNetV2', source: 'keras/src/applications/mobilenet_v2.py', build: mobileNetV2, top: true, expect: 3538984 },
  { name: 'MobileNetV2NoTop', fn: 'MobileNetV2', source: 'keras/src/applications/mobilenet_v2.py', build: mobileNetV2, top: false, expect: 2257984 },
];

const problems = [];
const models = [];
console.log(GENERATOR);
for (const m of MODELS) {
  const model = m.build(m.top);
  const d = describe(model);
  model.dispose(); // VGG16's weights alone are 553 MB of float32
  const sum = (k) => d.layers.reduce((a, l) => a + l[k], 0);
  for (const k of ['totalParams', 'trainableParams', 'nonTrainableParams']) {
    const layerKey = k === 'totalParams' ? 'params' : k;
    if (sum(layerKey) !== d[k]) problems.push(`${m.name}: layer ${layerKey} sum to ${sum(layerKey)}, model ${k} is ${d[k]}`);
  }
  if (d.totalParams !== m.expect) problems.push(`${m.name}: expected ${m.expect} parameters, tfjs says ${d.totalParams}`);
  models.push({
    name: m.name,
    keras: call(m.fn, m.top),
    kerasSource: m.source,
    kerasModelName: model.name,
    includeTop: m.top,
    input: INPUT_SHAPE,
    ...d,
  });
  console.log(
    `${m.name.padEnd(17)} layers=${String(d.layerCount).padStart(3)} total=${d.totalParams} ` +
    `trainable=${d.trainableParams} nonTrainable=${d.nonTrainableParams} out=${JSON.stringify(d.outputShape)}`);
}

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ generator: GENERATOR, models }, null, 2) + '\n');

if (problems.length) {
  console.error('MISMATCHES:\n  ' + problems.join('\n  '));
  process.exitCode = 1;
} else {
  console.log('all six Keras parameter totals match');
}
