"""An fp32 ONNX classifier converted to fp16, for TensorRT 11's strongly typed builder (and any engine
that runs a model in the types the ONNX gives): weights, constants and every computation in half,
the graph's input and output kept float32 with a Cast after the input and one before the output, so
that callers feed and read float32 as before. Only what a classifier's graph holds is converted: float
initializers, Constant / ConstantOfShape values and Casts to float; other tensors (shapes, indices)
are left alone."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT, HALF = TensorProto.FLOAT, TensorProto.FLOAT16


def _half_tensor(t):
    if t.data_type != FLOAT:
        return t
    h = numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name)
    return h


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    model = onnx.ModelProto.FromString(model.SerializeToString())  # a copy
    g = model.graph
    if len(g.input) != 1 or len(g.output) != 1:
        raise ValueError("a classifier has one input and one output")
    for i, t in enumerate(list(g.initializer)):
        g.initializer[i].CopyFrom(_half_tensor(t))
    for node in g.node:
        for a in node.attribute:
            if node.op_type in ("Constant", "ConstantOfShape") and a.type == onnx.AttributeProto.TENSOR:
                a.t.CopyFrom(_half_tensor(a.t))
            if node.op_type == "Cast" and a.name == "to" and a.i == FLOAT:
                a.i = HALF
    # float32 in and out: Cast after the input, Cast before the output
    src, dst = g.input[0].name, g.output[0].name
    src16, dst16 = src + "_fp16", dst + "_fp16"
    for node in g.node:
        node.input[:] = [src16 if n == src else n for n in node.input]
        node.output[:] = [dst16 if n == dst else n for n in node.output]
    g.node.insert(0, helper.make_node("Cast", [src], [src16], to=HALF, name="input_to_fp16"))
    g.node.append(helper.make_node("Cast", [dst16], [dst], to=FLOAT, name="output_to_fp32"))
    # intermediate types are inferred again
    del g.value_info[:]
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model
