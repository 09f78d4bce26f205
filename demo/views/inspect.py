"""The Inspect page: what each layer of the network does with one digit, and where it fails.

From top to bottom it follows the data: the input, the feature maps of every layer, the learned
filters, the vectors of the fully connected layers and the answer; then one number of conv1
computed by hand, a saliency map, and the model's mistakes on the whole test set.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from demo import charts, inside, models
from demo.state import mnist
from lenet.features import conv1_cell, feature_maps, saliency
from lenet.metrics import class_accuracy, confusion_matrix
from lenet.preprocess import digit_to_input

LAYERS = {
    "conv1": (
        6,
        "6 maps of 28x28: conv1 after its activation. Each map is one learned "
        "5x5 filter slid over the image: bright where the filter's pattern is.",
    ),
    "pool1": (6, "6 maps of 14x14: conv1 shrunk by 2x2 max pooling."),
    "conv2": (
        8,
        "16 maps of 10x10: conv2 combines all six pooled maps into larger "
        "patterns (strokes, corners, curves).",
    ),
    "pool2": (8, "16 maps of 5x5: conv2 pooled; these 400 numbers feed the classifier."),
}


def choose_input(data) -> tuple[np.ndarray, str]:
    """The digit to inspect: the last drawing from the Draw page, or a test digit."""
    drawn = st.session_state.get("current_digit")
    options = (["drawing"] if drawn is not None else []) + ["test"]
    if st.session_state.get("inspect_source") not in options:
        st.session_state["inspect_source"] = options[0]
    labels = {"drawing": "Your last drawing (Draw page)", "test": "A test digit"}
    source = st.radio(
        "Input",
        options,
        format_func=labels.get,
        key="inspect_source",
        horizontal=True,
        help="Inspect what you drew on the Draw page (with its "
        "probes), or any of MNIST's 10,000 test digits.",
    )
    if source == "drawing":
        return drawn[0], f"your last drawing ({drawn[1]})"
    st.session_state.setdefault("inspect_index", 0)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    index = left.number_input(
        "Test digit number",
        0,
        len(data.test) - 1,
        key="inspect_index",
        help="Which of the 10,000 MNIST test images (0-9999).",
    )
    right.button(
        "Random",
        on_click=_random_index,
        args=(len(data.test),),
        width="stretch",
        help="A random test digit.",
    )
    label = int(data.test.labels[index])
    return data.test_digits[index] / np.float32(255), f"test digit #{index} (labelled {label})"


def _random_index(count: int) -> None:
    st.session_state["inspect_index"] = int(np.random.default_rng().integers(count))


def _inspect_test_digit(index: int) -> None:
    st.session_state.update(inspect_source="test", inspect_index=index)


def feature_map_section(maps: dict) -> None:
    st.header("Feature maps")
    tabs = st.tabs(list(LAYERS))
    for tab, (layer, (cols, text)) in zip(tabs, LAYERS.items(), strict=True):
        with tab:
            st.caption(text + " Hover for exact values; one colour scale per layer.")
            values = maps[layer][0].numpy()
            st.plotly_chart(
                inside.grid_figure(values, f"{layer} feature maps", cols), key=f"maps_{layer}"
            )
            st.download_button(
                f"Download the {layer} maps (PNG)",
                key=f"png_{layer}",
                data=lambda v=values, n=layer, c=cols: inside.grid_png(v, c, f"{n} feature maps"),
                file_name=f"{layer}_feature_maps.png",
                mime="image/png",
                help="A picture of this grid for slides.",
            )


def filter_section(model) -> None:
    st.header("The learned filters")
    left, right = st.columns([1, 2])
    with left:
        kernels = model.conv1.weight.detach()[:, 0].numpy()
        st.plotly_chart(
            inside.grid_figure(kernels, "conv1: 6 kernels, 5x5", 3, "kernel", signed=True), key="k1"
        )
        st.caption("Red weights add the pixel's brightness, blue ones subtract it; white is 0.")
    with right:
        kernels = model.conv2.weight.detach().reshape(96, 5, 5).numpy()
        st.plotly_chart(
            inside.grid_figure(
                kernels,
                "conv2: 16 x 6 kernels, 5x5",
                6,
                "kernel",
                signed=True,
                height=760,
                row_labels=[f"map {k}" for k in range(16)],
            ),
            key="k2",
        )
        st.caption(
            "Row k holds the six kernels of conv2 map k, one per pooled conv1 map "
            "(kernel number = 6k + input map)."
        )


def path_section(maps: dict) -> None:
    st.header("From pixels to the answer")
    for name, title in (
        ("flat", "pool2 flattened: 400 numbers"),
        ("fc1", "fc1: 120 units"),
        ("fc2", "fc2: 84 units"),
    ):
        st.plotly_chart(inside.strip_figure(maps[name][0].numpy(), title), key=f"strip_{name}")
    predicted = int(maps["logits"][0].argmax())
    left, right = st.columns(2)
    left.plotly_chart(
        inside.bars_figure(maps["logits"][0].numpy(), "fc3: 10 logits", predicted), key="logits"
    )
    right.plotly_chart(
        inside.bars_figure(
            maps["probabilities"][0].numpy(), "softmax: probabilities", predicted, percent=True
        ),
        key="softmax",
    )


def cell_section(model, x: torch.Tensor, maps: dict) -> None:
    st.header("How one number is computed")
    st.caption(
        "Pick a conv1 map and a cell: the kernel sits on a 5x5 patch of the 32x32 input, "
        "each pixel is multiplied by its weight, the products are summed, the bias is "
        "added, and the activation gives the number in the map."
    )
    a, b, c = st.columns(3)
    channel = a.selectbox("conv1 map", range(6), key="cell_map", help="Which of the six maps.")
    row = b.slider("Row", 0, 27, 14, key="cell_row", help="Cell row in the 28x28 map.")
    col = c.slider("Column", 0, 27, 14, key="cell_col", help="Cell column in the 28x28 map.")
    cell = conv1_cell(model, x, channel, row, col)
    figs = st.columns(3)
    for slot, (grid, title, signed) in zip(
        figs,
        (
            (cell.patch, "input patch", False),
            (cell.kernel, "kernel", True),
            (cell.products, "patch x kernel", True),
        ),
        strict=True,
    ):
        slot.plotly_chart(inside.numbers_figure(grid, title, signed), key=f"cell_{title}")
    act = model.config.activation
    in_map = float(maps["conv1"][0, channel, row, col])
    st.markdown(
        f"sum of the 25 products = **{cell.products.sum():.4f}**; plus bias "
        f"{cell.bias:+.4f} = **{cell.pre_activation:.4f}**; {act}({cell.pre_activation:.4f})"
        f" = **{cell.value:.4f}**. The map holds **{in_map:.4f}** at row {row}, column "
        f"{col} " + ("✔" if abs(in_map - cell.value) < 1e-4 else "✘")
    )


def saliency_section(model, x: torch.Tensor, digit: np.ndarray, predicted: int) -> None:
    st.header("Saliency: which pixels decide")
    target = st.selectbox(
        "Class",
        range(10),
        index=predicted,
        key=f"saliency_{predicted}",
        help="Gradient x input: how much each pixel, as it is, pushes this "
        "class's score up (red) or down (blue). One backward pass, so it "
        "follows every change at once; occlusion would need a forward "
        "pass per patch and shows coarser blocks.",
    )
    heat = saliency(model, x, target)[2:30, 2:30].numpy()  # the 28x28 area inside the padding
    st.plotly_chart(
        inside.overlay_figure(digit, heat, f"Saliency for {target}, over the digit"), key="saliency"
    )


def mistakes_section(model_key: str, model, data) -> None:
    st.header("Where the model goes wrong (10,000 test digits)")
    probs = models.test_probabilities(model_key, model, data)
    predicted, labels = probs.argmax(1), data.test.labels
    matrix = confusion_matrix(predicted, labels)
    left, right = st.columns([1.1, 1])
    left.plotly_chart(inside.confusion_figure(matrix.numpy()), key="confusion")
    right.plotly_chart(charts.per_class_figure(class_accuracy(matrix)), key="per_class_inspect")
    a, b = st.columns(2)
    pick = ["all", *range(10)]
    true = a.selectbox("True digit", pick, key="filter_true", help="Show only this true class.")
    guess = b.selectbox("Predicted as", pick, key="filter_pred", help="Show only this answer.")
    wrong = (
        (predicted != labels)
        & ((labels == true) if true != "all" else True)
        & ((predicted == guess) if guess != "all" else True)
    )
    indices = wrong.nonzero().flatten()
    order = indices[probs[indices].max(1).values.argsort(descending=True)][:24].tolist()
    st.caption(
        f"{int(wrong.sum())} mistakes match; the {len(order)} most confident are shown. "
        "Click one to inspect it."
    )
    for start in range(0, len(order), 8):
        for slot, index in zip(st.columns(8), order[start : start + 8], strict=False):
            slot.image(np.kron(data.test_digits[index], np.ones((3, 3), np.uint8)))
            slot.button(
                f"{int(labels[index])} → {int(predicted[index])} ({float(probs[index].max()):.0%})",
                key=f"mistake_{index}",
                on_click=_inspect_test_digit,
                args=(index,),
                width="stretch",
                help="true → predicted (confidence): inspect this digit",
            )


def render() -> None:
    st.title("Look inside the network")
    data = mnist()
    if data is None:
        return
    with st.sidebar:
        st.header("Model")
        chosen = models.choose_model()
    if chosen is None:
        return
    model_key, model = chosen
    digit, source = choose_input(data)
    x = digit_to_input(digit)
    maps = feature_maps(model, x)
    predicted = int(maps["probabilities"][0].argmax())
    confidence = float(maps["probabilities"][0, predicted])
    left, right = st.columns([1, 3])
    left.plotly_chart(charts.pixels_figure(digit, "Input (28x28)", 230), key="inspect_input")
    right.metric("Prediction", f"{predicted} ({confidence:.0%})", help=f"Input: {source}.")
    right.caption(f"Input: {source}. The page follows it through every layer below.")
    feature_map_section(maps)
    filter_section(model)
    path_section(maps)
    cell_section(model, x, maps)
    saliency_section(model, x, digit, predicted)
    mistakes_section(model_key, model, data)
