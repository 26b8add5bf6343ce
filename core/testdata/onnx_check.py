"""Check a dltune ONNX export with the official onnx package.

Usage: onnx_check.py MODEL.onnx INPUT.npy WANT.npy

It runs onnx.checker on the model, then evaluates the graph with numpy,
reading every initializer and attribute through onnx (not through dltune),
and compares the output with WANT (dltune's Predict) to 1e-5. It prints
"ok" and the largest difference, or fails.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def run(model, x):
    env = {"input": x}
    for t in model.graph.initializer:
        env[t.name] = numpy_helper.to_array(t)
    for n in model.graph.node:
        a = [env[i] for i in n.input]
        op = n.op_type
        if op == "Sub":
            y = a[0] - a[1]
        elif op == "Mul":
            y = a[0] * a[1]
        elif op == "Add":
            y = a[0] + a[1]
        elif op == "MatMul":
            y = a[0] @ a[1]
        elif op == "Gemm":
            assert attr(n, "transA", 0) == 0 and attr(n, "transB", 0) == 0
            y = a[0] @ a[1] + a[2]
        elif op == "BatchNormalization":
            x_, s, b, mean, var = a
            eps = attr(n, "epsilon", 1e-5)
            y = s * (x_ - mean) / np.sqrt(var + np.float32(eps)) + b
        elif op == "Relu":
            y = np.maximum(a[0], 0)
        elif op == "LeakyRelu":
            al = np.float32(attr(n, "alpha", 0.01))
            y = np.where(a[0] >= 0, a[0], al * a[0])
        elif op == "Tanh":
            y = np.tanh(a[0])
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-a[0]))
        elif op == "Softmax":
            assert attr(n, "axis", -1) in (1, -1)
            e = np.exp(a[0] - a[0].max(axis=1, keepdims=True))
            y = e / e.sum(axis=1, keepdims=True)
        else:
            raise SystemExit("unsupported op " + op)
        env[n.output[0]] = y.astype(np.float32)
    return env[model.graph.output[0].name]


def main():
    model = onnx.load(sys.argv[1])
    onnx.checker.check_model(model, full_check=True)
    x = np.load(sys.argv[2])
    want = np.load(sys.argv[3])
    got = run(model, x)
    diff = float(np.max(np.abs(got - want)))
    if got.shape != want.shape or not diff <= 1e-5:
        raise SystemExit("outputs differ: shape %s vs %s, max difference %g" % (got.shape, want.shape, diff))
    print("ok", diff)


main()
