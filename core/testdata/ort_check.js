// Check a dltune ONNX export in onnxruntime, Microsoft's ONNX runtime, through
// its Node.js binding (the npm package onnxruntime-node, whose CPU runtime is
// a prebuilt library shipped inside the package).
//
// Usage: node ort_check.js MODEL.onnx INPUT.npy WANT.npy
//
// onnxruntime-node is found through NODE_PATH (core's TestONNXRuntime sets it
// from DLTUNE_ORT_NODE_MODULES). The model's one input must be "input" and its
// one output "output"; INPUT has the input's shape ([N, features], or
// [N, C, H, W] for a CNN) and WANT, dltune's Predict, the output's. Both are
// float32 .npy files (format 1.0, C order), as TestONNX writes them. It prints
// "ok", the largest absolute difference, the number of values and
// onnxruntime's version, or fails with a message when the outputs differ by
// more than 1e-5 or anything else is wrong.
'use strict';

const fs = require('node:fs');
const ort = require('onnxruntime-node');

// readNpy returns the shape and float32 values of a .npy file of little-endian
// float32s in C order, the only kind this check reads.
function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.length < 10 || b.toString('latin1', 0, 6) !== '\x93NUMPY' || b[6] !== 1) {
    throw new Error(`${file}: not a version 1 .npy file`);
  }
  const hlen = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + hlen);
  const descr = /'descr':\s*'([^']*)'/.exec(header);
  const order = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || descr[1] !== '<f4' || !order || order[1] !== 'False' || !shape) {
    throw new Error(`${file}: header ${header.trim()}: want little-endian float32 ('<f4') in C order`);
  }
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const n = dims.reduce((a, d) => a * d, 1);
  const off = 10 + hlen;
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || b.length - off !== 4 * n) {
    throw new Error(`${file}: shape (${shape[1]}) needs ${4 * n} bytes of data, the file has ${b.length - off}`);
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    data[i] = b.readFloatLE(off + 4 * i);
  }
  return { dims, data };
}

async function main() {
  const [model, input, want] = process.argv.slice(2);
  if (!want) {
    throw new Error('usage: node ort_check.js MODEL.onnx INPUT.npy WANT.npy');
  }
  const x = readNpy(input);
  const w = readNpy(want);
  // One thread: the machine is shared, and the figures should not depend on
  // how onnxruntime splits the work.
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const names = `inputs [${session.inputNames}], outputs [${session.outputNames}]`;
  if (names !== 'inputs [input], outputs [output]') {
    throw new Error(`${model}: ${names}, want inputs [input], outputs [output]`);
  }
  const out = await session.run({ input: new ort.Tensor('float32', x.data, x.dims) });
  const y = out.output;
  if (y.type !== 'float32' || y.dims.join(',') !== w.dims.join(',')) {
    throw new Error(`output is ${y.type} [${y.dims}], want float32 [${w.dims}]`);
  }
  let diff = 0;
  for (let i = 0; i < w.data.length; i++) {
    const d = Math.abs(y.data[i] - w.data[i]);
    if (Number.isNaN(d)) {
      throw new Error(`output ${i} is ${y.data[i]}, want ${w.data[i]}`);
    }
    diff = Math.max(diff, d);
  }
  if (!(diff <= 1e-5)) {
    throw new Error(`outputs differ: max difference ${diff}`);
  }
  console.log(`ok ${diff} ${w.data.length} onnxruntime ${ort.env.versions.node}`);
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
