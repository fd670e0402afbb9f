// Writes the CnnGen definitions of Keras 3's ResNet50, VGG16 and MobileNetV2 (with and without
// top) from the reference fixture that make-applications.mjs made with tfjs:
//
//   in:  tests/CnnGen.Generators.Tests/Fixtures/keras/applications.json
//   out: src/CnnGen.Applications/{ResNet50,ResNet50NoTop,VGG16,VGG16NoTop,MobileNetV2,MobileNetV2NoTop}.cs
//
// One attribute per Keras layer, in Keras' layer order, each with its Keras name; `From` where a
// layer's input is not the layer above it; `Add` names every layer it sums; arguments equal to
// CnnGen's (= Keras') defaults are left out.
//
// Then it checks what it wrote: it parses the C# text back, infers every shape and parameter
// count from the parsed attributes with Keras' rules, and compares layer for layer with the
// fixture (names, order, connections, options, output shapes, parameters) and with Keras'
// published totals. Any difference exits with code 1 (and the files are still written, for
// reading the diff).
//
// Rerun: cd tools/keras-reference && node make-applications-cs.mjs   (needs no npm packages)

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const FIXTURE = 'tests/CnnGen.Generators.Tests/Fixtures/keras/applications.json';
const OUT_DIR = 'src/CnnGen.Applications';

// What Keras reports (keras.io/api/applications and model.summary()); checked again here so a
// regenerated fixture cannot move them silently.
const KERAS_TOTALS = {
  ResNet50: 25636712, ResNet50NoTop: 23587712,
  VGG16: 138357544, VGG16NoTop: 14714688,
  MobileNetV2: 3538984, MobileNetV2NoTop: 2257984,
};

// CnnGen's defaults (src/CnnGen/Attributes/LayerDefaults.cs), which are Keras'.
const DEFAULTS = { strides: 1, padding: 'valid', useBias: true, activation: 'linear', depthMultiplier: 1, momentum: 0.99, epsilon: 0.001 };

const fixture = JSON.parse(readFileSync(join(root, FIXTURE), 'utf8'));
const problems = [];

// ---------------------------------------------------------------------------
// Fixture layer -> attribute text.
// ---------------------------------------------------------------------------

const str = (s) => {
  if (!/^[A-Za-z0-9_.]+$/.test(s)) throw new Error(`unexpected character in layer name ${s}`);
  return `"${s}"`;
};

// A C# double literal that reads like the Keras source (1.001e-5, 0.999).
function dbl(x) {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  const s = x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential() : String(x);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

const ACTIVATIONS = { linear: 'Linear', relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' };
const activation = (a) => {
  if (!(a in ACTIVATIONS)) throw new Error(`no CnnGen activation for '${a}'`);
  return `Activation.${ACTIVATIONS[a]}`;
};
const padding = (p) => ({ valid: 'Padding.Valid', same: 'Padding.Same' })[p] ?? (() => { throw new Error(`padding ${p}`); })();

function square(pair, what, layer) {
  if (pair[0] !== pair[1]) throw new Error(`${layer.name}: non-square ${what} ${JSON.stringify(pair)} has no CnnGen form`);
  return pair[0];
}

function noDilation(l) {
  if (l.dilation && (l.dilation[0] !== 1 || l.dilation[1] !== 1)) throw new Error(`${l.name}: dilation is not supported`);
}

// Kernel arguments: `k` for a square kernel, `kh, kw` otherwise.
const kernelArgs = (k) => (k[0] === k[1] ? [k[0]] : [k[0], k[1]]);

// Returns [kind, positional args, named args] for one fixture layer (the input excluded).
function translate(l) {
  const named = [];
  const opt = (key, value, def, fmt = String) => {
    if (value !== def) named.push([key, fmt(value)]);
  };
  switch (l.className) {
    case 'Conv2D': {
      noDilation(l);
      opt('Strides', square(l.strides, 'strides', l), DEFAULTS.strides);
      opt('Padding', l.padding, DEFAULTS.padding, padding);
      opt('UseBias', l.useBias, DEFAULTS.useBias);
      opt('Activation', l.activation, DEFAULTS.activation, activation);
      return ['Conv2D', [l.filters, ...kernelArgs(l.kernel)], named];
    }
    case 'DepthwiseConv2D': {
      noDilation(l);
      opt('Strides', square(l.strides, 'strides', l), DEFAULTS.strides);
      opt('Padding', l.padding, DEFAULTS.padding, padding);
      opt('DepthMultiplier', l.depthMultiplier, DEFAULTS.depthMultiplier);
      opt('UseBias', l.useBias, DEFAULTS.useBias);
      opt('Activation', l.activation, DEFAULTS.activation, activation);
      return ['DepthwiseConv2D', kernelArgs(l.kernel), named];
    }
    case 'BatchNormalization':
      if (!(l.axis === -1 || l.axis === 3) || !l.center || !l.scale) {
        throw new Error(`${l.name}: only channel-axis BatchNormalization with center and scale has a CnnGen form`);
      }
      opt('Momentum', l.momentum, DEFAULTS.momentum, dbl);
      opt('Epsilon', l.epsilon, DEFAULTS.epsilon, dbl);
      return ['BatchNorm', [], named];
    case 'ReLU':
      if (l.maxValue === null) return ['Relu', [], named];
      if (l.maxValue === 6) return ['Relu6', [], named];
      throw new Error(`${l.name}: ReLU(max_value=${l.maxValue}) has no CnnGen form`);
    case 'Activation': {
      const kinds = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' };
      if (!(l.activation in kinds)) throw new Error(`${l.name}: Activation('${l.activation}') has no CnnGen form`);
      return [kinds[l.activation], [], named];
    }
    case 'ZeroPadding2D': {
      const [[t, b], [left, right]] = l.padding;
      if (t === b && b === left && left === right) return ['ZeroPadding2D', [t], named];
      if (t === b && left === right) return ['ZeroPadding2D', [t, left], named];
      return ['ZeroPadding2D', [t, b, left, right], named];
    }
    case 'MaxPooling2D': {
      const pool = kernelArgs(l.pool);
      const s = square(l.strides, 'strides', l);
      // CnnGen's pool stride defaults to the pool size, as Keras' does.
      if (!(pool.length === 1 && s === pool[0])) named.push(['Strides', String(s)]);
      opt('Padding', l.padding, DEFAULTS.padding, padding);
      return ['MaxPool2D', pool, named];
    }
    case 'GlobalAveragePooling2D': return ['GlobalAvgPool2D', [], named];
    case 'Flatten': return ['Flatten', [], named];
    case 'Dense':
      opt('UseBias', l.useBias, DEFAULTS.useBias);
      opt('Activation', l.activation, DEFAULTS.activation, activation);
      return ['Dense', [l.units], named];
    case 'Add': return ['Add', l.inbound.map(str), named];
    default: throw new Error(`${l.name}: no CnnGen attribute for ${l.className}`);
  }
}

function attributeLines(model) {
  const [input, ...layers] = model.layers;
  if (input.className !== 'InputLayer' || input.name !== 'input_layer') throw new Error(`${model.name}: input first`);
  const lines = [`[Input(${input.shape.join(', ')})]`];
  let previous = input.name;
  for (const l of layers) {
    const [kind, positional, named] = translate(l);
    if (kind !== 'Add') {
      if (l.inbound.length !== 1) throw new Error(`${l.name}: ${l.inbound.length} inputs`);
      if (l.inbound[0] !== previous) named.push(['From', str(l.inbound[0])]);
    }
    named.push(['Name', str(l.name)]);
    const args = [...positional.map(String), ...named.map(([k, v]) => `${k} = ${v}`)];
    lines.push(`[${kind}(${args.join(', ')})]`);
    previous = l.name;
  }
  return lines;
}

// ---------------------------------------------------------------------------
// The C# file.
// ---------------------------------------------------------------------------

const n = (x) => x.toLocaleString('en-US');
const shape = (s) => `(${s.join(', ')})`;

function summary(model) {
  const base = model.name.replace(/NoTop$/, '');
  const what = model.includeTop
    ? `Keras 3's ${base} with its ImageNet classifier (1000 classes, softmax):`
    : `Keras 3's ${base} without its classifier (<c>include_top=False, pooling=None</c>), a feature extractor:`;
  return [
    what,
    `<c>${model.keras}</c>`,
    `from <c>${model.kerasSource}</c> (model name <c>${model.kerasModelName}</c>); input ${shape(model.input)},`,
    `output ${shape(model.outputShape)}. ${model.layerCount} layers counting the input, each with its Keras name.`,
    `Keras reports ${n(model.totalParams)} parameters: ${n(model.trainableParams)} trainable and ${n(model.nonTrainableParams)} non-trainable` +
      (model.nonTrainableParams ? ' (the BatchNorm moving means and variances).' : '.'),
  ];
}

function csharp(model) {
  const out = [
    '// Generated by tools/keras-reference/make-applications-cs.mjs from the Keras reference fixture',
    `// ${FIXTURE} (Keras 3 rebuilt in TensorFlow.js Layers).`,
    '// Do not edit by hand: rerun the script (docs/applications.md).',
    '',
    'using CnnGen;',
    '',
    'namespace CnnGen.Applications;',
    '',
    '/// <summary>',
    ...summary(model).map((s) => `/// ${s}`),
    '/// </summary>',
    '/// <remarks>',
    "/// The weights start from Keras' default initializers; ImageNet weights are not bundled. Layer names match",
    "/// Keras', so Keras' weights files (e.g. the ImageNet .h5 files) load with Model.LoadKerasWeights",
    '/// (docs/applications.md).',
    '/// </remarks>',
    ...attributeLines(model),
    `public sealed partial class ${model.name};`,
    '',
  ];
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// Check: parse the C# back and recompute everything with Keras' rules.
// ---------------------------------------------------------------------------

function splitArgs(s) {
  const parts = [];
  let depth = 0, quoted = false, cur = '';
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === ',') { parts.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

function parseValue(v) {
  if (/^-?\d+$/.test(v)) return Number(v);
  if (/^-?\d*\.?\d+(e-?\d+)?$/.test(v)) return Number(v);
  if (/^"[^"]*"$/.test(v)) return v.slice(1, -1);
  if (v === 'true' || v === 'false') return v === 'true';
  const m = /^(Padding|Activation)\.(\w+)$/.exec(v);
  if (m) return m[2].toLowerCase();
  throw new Error(`cannot parse argument value ${v}`);
}

function parseAttributes(text) {
  const attrs = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('[')) continue;
    const m = /^\[(\w+)(?:\((.*)\))?\]$/.exec(line);
    if (!m) throw new Error(`cannot parse attribute line ${line}`);
    const a = { kind: m[1], positional: [], named: {} };
    for (const arg of splitArgs(m[2] ?? '')) {
      const kv = /^(\w+) = (.+)$/.exec(arg);
      if (kv) {
        if (kv[1] in a.named) throw new Error(`${line}: ${kv[1]} twice`);
        a.named[kv[1]] = parseValue(kv[2]);
      } else {
        if (Object.keys(a.named).length) throw new Error(`${line}: positional after named`);
        a.positional.push(parseValue(arg));
      }
    }
    attrs.push(a);
  }
  return attrs;
}

const outSize = (size, k, s, pad) => (pad === 'same' ? Math.ceil(size / s) : Math.floor((size - k) / s) + 1);
const pair = (p) => (p.length === 1 ? [p[0], p[0]] : p);
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// Keras' shape and parameter rules applied to one parsed attribute; `ins` are the input shapes.
function infer(a, ins) {
  const g = (k, d) => (k in a.named ? a.named[k] : d);
  const zero = { params: 0, trainable: 0 };
  const one = () => {
    if (ins.length !== 1) throw new Error(`${a.kind} takes one input`);
    return ins[0];
  };
  const image = () => {
    const s = one();
    if (s.length !== 3) throw new Error(`${a.kind} needs (H, W, C), got ${shape(s)}`);
    return s;
  };
  switch (a.kind) {
    case 'ZeroPadding2D': {
      const [h, w, c] = image();
      const p = a.positional;
      const [t, b, l, r] = p.length === 1 ? [p[0], p[0], p[0], p[0]] : p.length === 2 ? [p[0], p[0], p[1], p[1]] : p;
      return { shape: [h + t + b, w + l + r, c], ...zero };
    }
    case 'Conv2D': {
      const [h, w, cin] = image();
      const [f, ...k] = a.positional;
      const [kh, kw] = pair(k);
      const s = g('Strides', 1), pad = g('Padding', 'valid'), bias = g('UseBias', true);
      const params = kh * kw * cin * f + (bias ? f : 0);
      return { shape: [outSize(h, kh, s, pad), outSize(w, kw, s, pad), f], params, trainable: params };
    }
    case 'DepthwiseConv2D': {
      const [h, w, cin] = image();
      const [kh, kw] = pair(a.positional);
      const s = g('Strides', 1), pad = g('Padding', 'valid'), bias = g('UseBias', true), m = g('DepthMultiplier', 1);
      const params = kh * kw * cin * m + (bias ? cin * m : 0);
      return { shape: [outSize(h, kh, s, pad), outSize(w, kw, s, pad), cin * m], params, trainable: params };
    }
    case 'BatchNorm': {
      const s = one();
      const c = s.at(-1);
      return { shape: s, params: 4 * c, trainable: 2 * c };
    }
    case 'Relu':
    case 'Relu6':
    case 'Sigmoid':
    case 'Tanh':
    case 'Softmax':
      return { shape: one(), ...zero };
    case 'MaxPool2D': {
      const [h, w, c] = image();
      const [ph, pw] = pair(a.positional);
      const s = g('Strides', ph === pw ? ph : 0), pad = g('Padding', 'valid');
      if (!s) throw new Error('a rectangular pool needs Strides here');
      return { shape: [outSize(h, ph, s, pad), outSize(w, pw, s, pad), c], ...zero };
    }
    case 'GlobalAvgPool2D': return { shape: [image()[2]], ...zero };
    case 'Flatten': {
      const s = image();
      return { shape: [s[0] * s[1] * s[2]], ...zero };
    }
    case 'Dense': {
      const s = one();
      if (s.length !== 1) throw new Error(`Dense needs a flat input, got ${shape(s)}`);
      const u = a.positional[0];
      const params = s[0] * u + (g('UseBias', true) ? u : 0);
      return { shape: [u], params, trainable: params };
    }
    case 'Add':
      if (ins.length < 2) throw new Error('Add needs two or more inputs');
      if (!ins.every((s) => eq(s, ins[0]))) throw new Error(`Add of different shapes ${ins.map(shape).join(' + ')}`);
      return { shape: ins[0], ...zero };
    default: throw new Error(`unknown attribute ${a.kind}`);
  }
}

// The options the fixture records, as the parsed attribute states them (defaults filled in).
function optionsAgree(a, l) {
  const g = (k, d) => (k in a.named ? a.named[k] : d);
  const want = [];
  const check = (what, got, expected) => { if (!eq(got, expected)) want.push(`${what} ${JSON.stringify(got)} != Keras ${JSON.stringify(expected)}`); };
  switch (l.className) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
      check('kernel', pair(l.className === 'Conv2D' ? a.positional.slice(1) : a.positional), l.kernel);
      check('strides', g('Strides', 1), l.strides[0]);
      check('padding', g('Padding', 'valid'), l.padding);
      check('useBias', g('UseBias', true), l.useBias);
      check('activation', g('Activation', 'linear'), l.activation);
      if (l.className === 'Conv2D') check('filters', a.positional[0], l.filters);
      else check('depthMultiplier', g('DepthMultiplier', 1), l.depthMultiplier);
      break;
    case 'BatchNormalization':
      check('kind', a.kind, 'BatchNorm');
      check('momentum', g('Momentum', DEFAULTS.momentum), l.momentum);
      check('epsilon', g('Epsilon', DEFAULTS.epsilon), l.epsilon);
      break;
    case 'ZeroPadding2D': {
      check('kind', a.kind, 'ZeroPadding2D');
      const p = a.positional;
      const [t, b, left, right] = p.length === 1 ? [p[0], p[0], p[0], p[0]] : p.length === 2 ? [p[0], p[0], p[1], p[1]] : p;
      check('padding', [[t, b], [left, right]], l.padding);
      break;
    }
    case 'ReLU': check('kind', a.kind, l.maxValue === 6 ? 'Relu6' : 'Relu'); break;
    case 'Activation': check('kind', a.kind, l.activation === 'relu' ? 'Relu' : '?'); break;
    case 'MaxPooling2D':
      check('kind', a.kind, 'MaxPool2D');
      check('pool', pair(a.positional), l.pool);
      check('strides', g('Strides', a.positional[0]), l.strides[0]);
      check('padding', g('Padding', 'valid'), l.padding);
      break;
    case 'Dense':
      check('kind', a.kind, 'Dense');
      check('units', a.positional[0], l.units);
      check('activation', g('Activation', 'linear'), l.activation);
      check('useBias', g('UseBias', true), l.useBias);
      break;
    default: break; // shapes and connections settle the rest (global pooling, flatten, add)
  }
  return want;
}

function verify(model, text) {
  const bad = (msg) => problems.push(`${model.name}: ${msg}`);
  const attrs = parseAttributes(text);
  if (attrs.length !== model.layers.length) bad(`${attrs.length} attributes for ${model.layers.length} Keras layers`);
  const [inputAttr, ...rest] = attrs;
  if (inputAttr.kind !== 'Input' || !eq(inputAttr.positional, model.input)) bad('[Input] is not first or has the wrong shape');

  const shapes = new Map([['input_layer', inputAttr.positional]]);
  let previous = 'input_layer';
  const totals = { params: 0, trainable: 0 };
  rest.forEach((a, i) => {
    const l = model.layers[i + 1];
    const name = a.named.Name;
    if (name === undefined) return bad(`attribute ${i + 2} (${a.kind}) has no Name`);
    if (shapes.has(name)) bad(`name ${name} used twice`);
    if (name !== l.name) bad(`attribute ${i + 2} is ${name}, Keras layer ${i + 1} is ${l.name}`);

    const sources = a.kind === 'Add' ? a.positional : [a.named.From ?? previous];
    if (a.kind === 'Add' && 'From' in a.named) bad(`${name}: Add with From`);
    for (const s of sources) if (!shapes.has(s)) bad(`${name} reads ${s}, which is not an earlier layer`);
    if (!eq(sources, l.inbound)) bad(`${name} reads ${JSON.stringify(sources)}, Keras ${JSON.stringify(l.inbound)}`);

    let r;
    try {
      r = infer(a, sources.map((s) => shapes.get(s) ?? [0]));
    } catch (e) {
      bad(`${name}: ${e.message}`);
      r = { shape: l.outputShape, params: 0, trainable: 0 };
    }
    if (!eq(r.shape, l.outputShape)) bad(`${name}: shape ${shape(r.shape)}, Keras ${shape(l.outputShape)}`);
    if (r.params !== l.params || r.trainable !== l.trainableParams || r.params - r.trainable !== l.nonTrainableParams) {
      bad(`${name}: ${r.params} params (${r.trainable} trainable), Keras ${l.params} (${l.trainableParams})`);
    }
    for (const w of optionsAgree(a, l)) bad(`${name}: ${w}`);
    shapes.set(name, r.shape);
    totals.params += r.params;
    totals.trainable += r.trainable;
    previous = name;
  });

  if (!eq(shapes.get(previous), model.outputShape)) bad(`output ${shape(shapes.get(previous))}, Keras ${shape(model.outputShape)}`);
  if (totals.params !== model.totalParams) bad(`attributes give ${totals.params} parameters, fixture ${model.totalParams}`);
  if (totals.params !== KERAS_TOTALS[model.name]) bad(`attributes give ${totals.params} parameters, Keras ${KERAS_TOTALS[model.name]}`);
  if (totals.trainable !== model.trainableParams) bad(`attributes give ${totals.trainable} trainable, fixture ${model.trainableParams}`);
  return { attrs, totals };
}

// ---------------------------------------------------------------------------

mkdirSync(join(root, OUT_DIR), { recursive: true });
const names = fixture.models.map((m) => m.name);
if (!eq([...names].sort(), Object.keys(KERAS_TOTALS).sort())) problems.push(`fixture holds ${names.join(', ')}`);
const used = new Map();
for (const model of fixture.models) {
  const text = csharp(model);
  writeFileSync(join(root, OUT_DIR, `${model.name}.cs`), text);
  const { attrs, totals } = verify(model, text);
  for (const a of attrs) {
    const key = `${a.kind}(${a.positional.map((p) => (typeof p === 'string' ? 'name' : 'int')).join(', ')})`;
    if (!used.has(key)) used.set(key, new Set());
    for (const k of Object.keys(a.named)) used.get(key).add(k);
  }
  console.log(`${model.name.padEnd(17)} ${String(attrs.length).padStart(3)} attributes, ${totals.params} parameters (${totals.trainable} trainable) -> ${OUT_DIR}/${model.name}.cs`);
}
console.log('attribute forms used:');
for (const [k, v] of [...used].sort()) console.log(`  [${k}${v.size ? `, ${[...v].sort().join(', ')}` : ''}]`);

if (problems.length) {
  console.error('MISMATCHES:\n  ' + problems.join('\n  '));
  process.exitCode = 1;
} else {
  console.log('the attributes reproduce every Keras layer, shape and parameter count');
}
