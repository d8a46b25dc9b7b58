"""The graph builder's passes, each on its own, on small hand-written configs
(no TensorFlow): the Keras 3 normalisation of a graph (operation nodes,
recorded mask graphs, nested-model node indices, mask clearing), the class and
dtype check, mask propagation through the Functional and Sequential drivers,
composite checks and nested models."""
from __future__ import annotations

import pytest

from keras2java.builder import GraphBuilder, build_model
from keras2java.builder.keras3_graph import (MaskClearing, derived_mask, is_operation, mask_graph_layers,
                                             node_shift, port_ref, spec_name)
from keras2java.builder.layer_check import check_dtype, class_problem
from keras2java.builder.layer_call import composite_problem
from keras2java.errors import UnsupportedModelError
from keras2java.ir import SourceInfo
from keras2java.ops import Composite, ConfigDtype, Step, layer_spec
from keras2java.ops.mask import MaskingOp
from keras2java.reader.raw import InboundNode, InboundRef, RawLayer, RawModel

OPS_MODULE = "keras.src.ops.numpy"


def ref(layer: str, node: int = 0, tensor: int = 0) -> InboundRef:
    return InboundRef(layer, node, tensor)


def call(*args: InboundRef, **kwargs) -> InboundNode:
    return InboundNode(tuple(args), {k: tuple(v) for k, v in kwargs.items()}, {})


def layer(name: str, class_name: str, *calls: InboundNode, module: str = "", submodel=None, **config) -> RawLayer:
    return RawLayer(name, class_name, dict(config), (), tuple(calls), module=module, submodel=submodel)


def source(major: int) -> SourceInfo:
    return SourceInfo("hand-written", "", "keras-v3-zip" if major >= 3 else "legacy-h5", f"{major}.0", major)


def functional(layers, inputs, outputs, major: int = 3, name: str = "model") -> RawModel:
    return RawModel(source(major), name, "Functional", tuple(layers), tuple(inputs), tuple(outputs), None)


def sequential(layers, major: int = 3, input_shape=None, name: str = "seq") -> RawModel:
    return RawModel(source(major), name, "Sequential", tuple(layers), (), (), input_shape)


def input_layer(name: str = "in", shape=(None, 5, 3)) -> RawLayer:
    return layer(name, "InputLayer", batch_shape=list(shape))


def node_named(model, class_name: str):
    (node,) = [n for n in model.nodes if n.class_name == class_name]
    return node


# -- pass 1: the Keras 3 normalisation of a graph --------------------------------------------

def test_operation_nodes_have_their_own_registry_names():
    op = layer("concatenate_op", "Concatenate", module="keras.src.ops.numpy")
    lay = layer("concatenate", "Concatenate", module="keras.layers")
    assert is_operation(op) and spec_name(op) == "ops.Concatenate"
    assert not is_operation(lay) and spec_name(lay) == "Concatenate"


def test_mask_graph_holds_only_ops_used_as_masks():
    layers = [
        input_layer(),
        layer("ne", "NotEqual", call(ref("in")), module=OPS_MODULE),
        layer("any", "Any", call(ref("ne")), module=OPS_MODULE),
        layer("lstm", "LSTM", call(ref("in"), mask=[ref("any")])),
        layer("value_ne", "NotEqual", call(ref("in")), module=OPS_MODULE),   # also used as a value
        layer("add", "Add", call(ref("lstm"), ref("value_ne"))),
        layer("out_any", "Any", call(ref("in")), module=OPS_MODULE),          # a model output
        # a module-less Concatenate is a layer (a Keras 3 .h5 cannot tell), never part of the mask graph
        layer("concat", "Concatenate", call(ref("in"))),
        layer("gru", "GRU", call(ref("in"), mask=[ref("concat")])),
    ]
    graph = mask_graph_layers(layers, (ref("out_any"),))
    assert graph == {"ne", "any"}
    assert derived_mask((ref("any"),), graph)
    assert not derived_mask((ref("value_ne"),), graph) and not derived_mask((), graph)


def test_nested_model_node_indices_per_keras_version():
    inner_f = functional([input_layer("x")], [ref("x")], [ref("x")])
    inner_s_in = sequential([input_layer("x"), layer("d", "Dropout")])
    inner_s = sequential([layer("d", "Dropout")])
    nested_f = layer("f", "Functional", submodel=inner_f)
    nested_s_in = layer("s", "Sequential", submodel=inner_s_in)
    nested_s = layer("s", "Sequential", submodel=inner_s)
    # tf-keras counts the unsaved first node of a nested model everywhere
    assert (node_shift(nested_f, 2), node_shift(nested_f, 2, port=True)) == (1, 1)
    assert node_shift(nested_s_in, 2) == 1 and node_shift(nested_s, 2) == 0
    # Keras 3 only in the model's input/output ports, and never for a Sequential
    assert (node_shift(nested_f, 3), node_shift(nested_f, 3, port=True)) == (0, 1)
    assert node_shift(nested_s_in, 3, port=True) == 0
    assert node_shift(layer("d", "Dense"), 2) == 0
    assert port_ref(ref("f", 1), {"f": nested_f}, 3) == ref("f", 0)
    assert port_ref(ref("f", 1), {"f": nested_f}, 2) == ref("f", 1)


def test_mask_clearing_is_ordered_by_runs():
    clearing = MaskClearing(rank={("mha", 0): 1, ("early", 0): 0, ("late", 0): 2}, first={("e", 0, 0): 1})
    assert clearing.before(("late", 0), ref("e"))
    assert not clearing.before(("early", 0), ref("e"))
    assert not clearing.before(("mha", 0), ref("e"))
    assert not clearing.before(("late", 0), ref("other"))
    # a Dropout's output is the tensor it was given: cleared with it
    same = MaskClearing(rank=clearing.rank, first=clearing.first, same={("drop", 0, 0): ("e", 0, 0)})
    assert same.before(("late", 0), ref("drop"))
    assert not same.before(("early", 0), ref("drop"))
    assert not clearing.before(("late", 0), ref("drop"))


# -- pass 2: class and dtype ------------------------------------------------------------

def test_config_dtype_is_a_trait_of_the_layer_spec():
    assert layer_spec("Embedding").config_dtype is ConfigDtype.INTEGER
    assert layer_spec("IntegerLookup").config_dtype is ConfigDtype.INTEGER
    assert layer_spec("TextVectorization").config_dtype is ConfigDtype.INPUT
    assert layer_spec("Dense").config_dtype is ConfigDtype.COMPUTE


@pytest.mark.parametrize("dtype, role, problem", [
    ("float32", ConfigDtype.COMPUTE, None),
    (None, ConfigDtype.COMPUTE, None),
    ("int32", ConfigDtype.INTEGER, None),
    ("int32", ConfigDtype.COMPUTE, "dtype 'int32' is not supported"),
    ("string", ConfigDtype.INPUT, None),
    ("float64", ConfigDtype.INTEGER, "dtype 'float64' is not supported"),
    ({"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}, ConfigDtype.COMPUTE,
     "dtype policy 'mixed_float16' (mixed/reduced precision) is not supported"),
])
def test_dtype_check(dtype, role, problem):
    found = check_dtype(layer("l", "Dense", dtype=dtype), role)
    assert (found is None) if problem is None else found.startswith(problem)


def test_class_problems_say_why_and_whether_the_class_is_unknown():
    assert class_problem(layer("d", "Dense"), 3) is None
    assert class_problem(layer("e", "Embedding", dtype="int32"), 2) is None
    assert class_problem(layer("d", "Dense", dtype="int32"), 2) == (
        "dtype 'int32' is not supported; only float32 layers can be converted", False)
    # an operation's dtype is its result type, not a compute policy
    assert class_problem(layer("c", "Mean", dtype="int32", module=OPS_MODULE), 3) is None
    reason, unknown = class_problem(layer("l", "Lambda"), 3)
    assert reason.startswith("Lambda layers hold Python code") and not unknown
    reason, unknown = class_problem(layer("w", "MyWeirdLayer"), 3)
    assert "'MyWeirdLayer' is not supported" in reason and unknown
    reason, unknown = class_problem(layer("m", "Matmul"), 3)   # an operation saved in a Keras 3 .h5
    assert "in a Keras 3 .h5 file" in reason and not unknown


# -- pass 3: mask propagation through the drivers ------------------------------------------

def test_masking_mask_reaches_a_pooling_layer_as_its_last_input():
    raw = functional([input_layer(), layer("m", "Masking", call(ref("in"))),
                      layer("a", "Activation", call(ref("m")), activation="tanh"),
                      layer("p", "GlobalAveragePooling1D", call(ref("a")))],
                     [ref("in")], [ref("p")], major=2)
    model = build_model(raw)
    mask_node = node_named(model, "Masking mask")
    assert mask_node.outputs[0] in node_named(model, "Masking").inputs
    assert node_named(model, "GlobalAveragePooling1D").inputs[-1] == mask_node.outputs[0]
    assert node_named(model, "Activation").inputs == node_named(model, "Masking").outputs


def test_a_dropping_layer_ends_the_mask():
    b = GraphBuilder(sequential([input_layer(), layer("m", "Masking"), layer("f", "Flatten")], major=2))
    b.sequential()
    assert not b.problems.problems
    flatten = [n for n in b.nodes if n.class_name == "Flatten"][0]
    assert flatten.outputs[0] not in b.masks
    masking = [n for n in b.nodes if n.class_name == "Masking"][0]
    assert masking.outputs[0] in b.masks


def test_a_merge_of_masked_inputs_merges_their_masks():
    raw = functional([input_layer(), layer("m", "Masking", call(ref("in"))),
                      layer("add", "Add", call(ref("m"), ref("m")))], [ref("in")], [ref("add")], major=2)
    model = build_model(raw)
    add = node_named(model, "Add")
    mask = node_named(model, "Masking mask").outputs[0]
    assert add.inputs[2:] == (mask, mask)
    assert node_named(model, "Add mask").inputs == (mask, mask)


def test_keras3_gives_a_layer_only_the_masks_its_config_records():
    raw = functional([input_layer(), layer("m", "Masking", call(ref("in"))),
                      layer("p", "GlobalAveragePooling1D", call(ref("m")))], [ref("in")], [ref("p")], major=3)
    model = build_model(raw)
    # no mask= recorded for the pooling call: Keras 3 did not give it one
    assert len(node_named(model, "GlobalAveragePooling1D").inputs) == 1


def test_a_recorded_mask_graph_is_answered_by_the_derived_mask():
    layers = [input_layer(), layer("m", "Masking", call(ref("in"))),
              layer("ne", "NotEqual", call(ref("m")), module=OPS_MODULE),
              layer("any", "Any", call(ref("ne")), module=OPS_MODULE),
              layer("p", "GlobalAveragePooling1D", call(ref("m"), mask=[ref("any")]))]
    model = build_model(functional(layers, [ref("in")], [ref("p")], major=3))
    assert {n.class_name for n in model.nodes} == {"Masking", "Masking mask", "GlobalAveragePooling1D"}
    assert node_named(model, "GlobalAveragePooling1D").inputs[-1] == node_named(model, "Masking mask").outputs[0]


def test_a_mask_keyword_on_a_layer_without_masks_is_refused():
    layers = [input_layer(), layer("m", "Masking", call(ref("in"))),
              layer("ne", "NotEqual", call(ref("m")), module=OPS_MODULE),
              layer("any", "Any", call(ref("ne")), module=OPS_MODULE),
              layer("c", "Conv1D", call(ref("m"), mask=[ref("any")]), filters=2, kernel_size=1)]
    with pytest.raises(UnsupportedModelError) as err:
        build_model(functional(layers, [ref("in")], [ref("c")], major=3))
    assert "tensor keyword arguments ['mask'] are not supported yet" in str(err.value)


# -- pass 4 and the drivers ----------------------------------------------------------------

def test_composite_problems():
    ok = Composite((Step(MaskingOp(0.0), (0,), ((5, 3),)),), (1,))
    assert "creates a Keras mask" in composite_problem(ok, 1)
    bad_input = Composite((Step(MaskingOp(0.0), (2,), ((5, 3),)),), (1,))
    assert composite_problem(bad_input, 1).startswith("step 1 (MaskingOp) reads values [2]")
    no_outputs = Composite((), ())
    assert "are not among its 1 values" in composite_problem(no_outputs, 1)


def test_sequential_without_an_input_shape_is_reported():
    with pytest.raises(UnsupportedModelError) as err:
        build_model(sequential([layer("a", "Activation", activation="relu")]))
    assert "the Sequential model has no input shape" in str(err.value)


def test_sequential_input_from_the_first_layer_or_the_build_shape():
    first = layer("a", "Activation", activation="relu", batch_input_shape=[None, 4])
    assert build_model(sequential([first])).tensors[0].shape == (4,)
    model = build_model(sequential([layer("a", "Activation", activation="relu")], input_shape=(None, 6, 2)))
    assert model.tensors[0].shape == (6, 2)


def test_a_nested_model_called_twice_is_inlined_twice():
    inner = sequential([input_layer("x", (None, 4)), layer("act", "Activation", activation="tanh")], name="inner")
    raw = functional([input_layer("a", (None, 4)), input_layer("b", (None, 4)),
                      layer("inner", "Sequential", call(ref("a")), call(ref("b")), submodel=inner),
                      layer("add", "Add", call(ref("inner", 0), ref("inner", 1)))],
                     [ref("a"), ref("b")], [ref("add")], major=3)
    model = build_model(raw)
    acts = [n for n in model.nodes if n.class_name == "Activation"]
    assert [n.inputs for n in acts] == [(model.inputs[0].tensor,), (model.inputs[1].tensor,)]
    assert node_named(model, "Add").inputs == tuple(n.outputs[0] for n in acts)


def test_unknown_inputs_and_classes_are_all_reported_at_once():
    raw = functional([input_layer(), layer("w", "MyWeirdLayer", call(ref("in"))),
                      layer("a", "Activation", call(ref("nowhere")), activation="relu")],
                     [ref("in")], [ref("a")], major=3)
    with pytest.raises(UnsupportedModelError) as err:
        build_model(raw)
    text = str(err.value)
    assert "'MyWeirdLayer' is not supported" in text and "unknown layer(s) ['nowhere']" in text
    assert "Supported layer classes:" in text
