"""Check a dltune ONNX export with the official onnx package.

Usage: onnx_check.py MODEL.onnx INPUT.npy WANT.npy

It runs onnx.checker on the model, then evaluates the graph with numpy,
reading every initializer and attribute through onnx (not through dltune),
and compares the output with WANT (dltune's Predict) to 1e-5. INPUT has the
shape of the graph's input: [N, features], or [N, C, H, W] for a CNN. An
attribute the evaluator does not know fails rather than being ignored. It
prints "ok", the largest difference and the ops it evaluated, or fails.
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


# The attributes each op may have; any other fails the check.
KNOWN = {
    "Gemm": {"transA", "transB", "alpha", "beta"},
    "LeakyRelu": {"alpha"},
    "Softmax": {"axis"},
    "Conv": {"kernel_shape", "strides", "pads", "dilations"},
    "MaxPool": {"kernel_shape", "strides"},
    "AveragePool": {"kernel_shape", "strides"},
    "Flatten": {"axis"},
}


def windows(x, kernel, strides, dilations):
    """Yields (i, j, view) for each kernel position: the [N, C, OH, OW]
    pixels under it, for an already padded NCHW x."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, strides, dilations
    oh = (x.shape[2] - (dh * (kh - 1) + 1)) // sh + 1
    ow = (x.shape[3] - (dw * (kw - 1) + 1)) // sw + 1
    assert oh >= 1 and ow >= 1, (x.shape, kernel, strides, dilations)
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def conv(n, x, w, b=None):
    kernel = attr(n, "kernel_shape", list(w.shape[2:]))
    assert list(kernel) == list(w.shape[2:]), (kernel, w.shape)
    pads = attr(n, "pads", [0, 0, 0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    y = 0
    for i, j, v in windows(x, kernel, attr(n, "strides", [1, 1]), attr(n, "dilations", [1, 1])):
        y = y + np.einsum("nchw,fc->nfhw", v.astype(np.float64), w[:, :, i, j].astype(np.float64))
    if b is not None:
        y = y + b[None, :, None, None]
    return y


def pool(n, x, reduce):
    vs = [v for _, _, v in windows(x, attr(n, "kernel_shape", None), attr(n, "strides", [1, 1]), [1, 1])]
    return reduce(np.stack(vs), axis=0)


def run(model, x):
    env = {"input": x}
    ops = set()
    for t in model.graph.initializer:
        env[t.name] = numpy_helper.to_array(t)
    for n in model.graph.node:
        a = [env[i] for i in n.input]
        op = n.op_type
        for at in n.attribute:
            if at.name not in KNOWN.get(op, set()):
                raise SystemExit("%s %s: attribute %s is not evaluated" % (op, n.name, at.name))
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
        elif op == "Conv":
            y = conv(n, *a)
        elif op == "MaxPool":
            y = pool(n, a[0], np.max)
        elif op == "AveragePool":
            y = pool(n, a[0], np.mean)
        elif op == "GlobalAveragePool":
            y = a[0].astype(np.float64).mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            assert attr(n, "axis", 1) == 1
            y = a[0].reshape(a[0].shape[0], -1)
        else:
            raise SystemExit("unsupported op " + op)
        ops.add(op)
        env[n.output[0]] = y.astype(np.float32)
    return env[model.graph.output[0].name], ops


def main():
    model = onnx.load(sys.argv[1])
    onnx.checker.check_model(model, full_check=True)
    x = np.load(sys.argv[2])
    want = np.load(sys.argv[3])
    got, ops = run(model, x)
    diff = float(np.max(np.abs(got - want)))
    if got.shape != want.shape or not diff <= 1e-5:
        raise SystemExit("outputs differ: shape %s vs %s, max difference %g" % (got.shape, want.shape, diff))
    print("ok", diff, " ".join(sorted(ops)))


main()
