"""The whole network at a glance as HTML (no Streamlit here): input -> conv1 -> pool1 -> conv2 ->
pool2 -> fc1 -> fc2 -> the answer, one column per stage, as CNN Explainer's overview.

Every map is a real button (one tap on a phone, a click anywhere on it, reachable by keyboard,
named for screen readers) holding a small PNG drawn pixel by pixel; the browser part
(`OVERVIEW_JS`, mounted by `demo.views.inspect.network`) reports which one was pressed. The eight
stages sit in one row when the page is wide enough, four a row on a phone.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image

from demo.figures.inside import VIRIDIS, to_rgb

MAP_STAGES = {  # layer -> (maps across, px per map)
    "conv1": (1, 62),
    "pool1": (1, 62),
    "conv2": (2, 44),
    "pool2": (2, 44),
}
STAGE_NAMES = {
    "input": "the 32x32 input",
    "conv1": "6 maps from 6 filters",
    "pool1": "6 maps, half size",
    "conv2": "16 maps from 16 filters",
    "pool2": "16 maps, half size",
    "fc1": "120 numbers",
    "fc2": "84 numbers",
    "answer": "softmax",
}


def png_url(values: np.ndarray, low: float, high: float) -> str:
    """A (H, W) array as an inline Viridis PNG, one pixel per value, on the scale low..high."""
    scaled = np.clip((values - low) / ((high - low) or 1.0), 0.0, 1.0)
    buffer = io.BytesIO()
    Image.fromarray(to_rgb(scaled, VIRIDIS)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _title(name: str, detail: str) -> str:
    return f'<div class="title"><b>{name}</b><span>{html.escape(detail)}</span></div>'


def input_stage(image: np.ndarray) -> str:
    """The 32x32 input, square and whole (grey, as the network reads it: -1 black, 1 white)."""
    grey = ((np.clip(image, -1, 1) + 1) * 127.5).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    picture = f'<img class="input" src="{url}" alt="The digit as the network reads it, 32 by 32">'
    return f'<div class="stage">{_title("input", STAGE_NAMES["input"])}{picture}</div>'


def map_stage(layer: str, maps: np.ndarray, opened: int | None) -> str:
    """One stage's maps (N, H, W) as buttons on one colour scale, the opened one outlined."""
    across, size = MAP_STAGES[layer]
    low, high = float(maps.min()), float(maps.max())
    buttons = []
    for i, values in enumerate(maps):
        picked = ' class="picked" aria-pressed="true"' if i == opened else ""
        name = f"{layer} map {i}: open it large (strongest value {values.max():.2f})"
        buttons.append(
            f'<button type="button" data-layer="{layer}" data-map="{i}"{picked} '
            f'title="{name}" aria-label="{name}"><img src="{png_url(values, low, high)}" alt="">'
            "</button>"
        )
    style = f"grid-template-columns: repeat({across}, {size}px)"
    grid = f'<div class="maps" style="{style}">{"".join(buttons)}</div>'
    return f'<div class="stage">{_title(layer, STAGE_NAMES[layer])}{grid}</div>'


def vector_stage(layer: str, values: np.ndarray) -> str:
    """A fully connected layer's numbers as a column of coloured cells (hover for each)."""
    low, high = float(values.min()), float(values.max())
    colours = to_rgb(np.clip((values - low) / ((high - low) or 1.0), 0, 1), VIRIDIS)
    cells = "".join(
        f'<i style="background: rgb({r},{g},{b})" title="{layer} number {i}: {v:.3f}"></i>'
        for i, ((r, g, b), v) in enumerate(zip(colours, values, strict=True))
    )
    label = f"{layer}: {len(values)} numbers, from {low:.2f} to {high:.2f}"
    strip = f'<div class="strip" role="img" aria-label="{label}">{cells}</div>'
    return f'<div class="stage">{_title(layer, STAGE_NAMES[layer])}{strip}</div>'


def answer_stage(probabilities: np.ndarray) -> str:
    """The ten probabilities as labelled bars, the network's answer highlighted."""
    top = int(probabilities.argmax())
    rows = "".join(
        f'<div class="bar{" top" if d == top else ""}"><b>{d}</b>'
        f'<span style="width: {max(2.0, 100 * p):.0f}%"></span><em>{100 * p:.0f}%</em></div>'
        for d, p in enumerate(probabilities)
    )
    label = f"The answer: {top}, with {100 * probabilities[top]:.0f}% probability"
    return (
        f'<div class="stage">{_title("answer", STAGE_NAMES["answer"])}'
        f'<div class="bars" role="img" aria-label="{label}">{rows}</div></div>'
    )


def overview_html(image: np.ndarray, maps: dict, opened: tuple[str, int] | None) -> str:
    """Every stage for one digit: `image` the (32, 32) input, `maps` from
    `lenet.explain.features.feature_maps` (batch of one), `opened` the (layer, map) shown large."""
    stages = [input_stage(image)]
    for layer in MAP_STAGES:
        picked = opened[1] if opened and opened[0] == layer else None
        stages.append(map_stage(layer, maps[layer][0].numpy(), picked))
    stages += [vector_stage(layer, maps[layer][0].numpy()) for layer in ("fc1", "fc2")]
    stages.append(answer_stage(maps["probabilities"][0].numpy()))
    return f'<div class="net">{"".join(stages)}</div>'


OVERVIEW_CSS = """
:host, .root { display: block; container-type: inline-size; }
.net { display: grid; grid-template-columns: repeat(8, minmax(0, 1fr)); gap: 10px 6px;
  font-family: "Source Sans Pro", "Source Sans 3", sans-serif; color: rgb(49, 51, 63); }
@container (max-width: 700px) { .net { grid-template-columns: repeat(4, minmax(0, 1fr)); } }
.stage { display: flex; flex-direction: column; align-items: center; min-width: 0; }
.title { display: flex; flex-direction: column; align-items: center; margin-bottom: 6px;
  text-align: center; line-height: 1.2; min-height: 2.6em; }
.title b { font-size: 15px; } .title span { font-size: 12px; color: rgb(75, 77, 87); }
.input { width: min(100%, 96px); aspect-ratio: 1; image-rendering: pixelated; }
.maps { display: grid; gap: 3px; justify-content: center; }
button { padding: 0; border: 2px solid transparent; border-radius: 3px; background: none;
  cursor: pointer; aspect-ratio: 1; width: 100%; display: block; }
button img { width: 100%; height: 100%; display: block; image-rendering: pixelated; }
button:hover, button:focus-visible { border-color: #1f6fb4; outline: none; }
button.picked { border-color: #ff7f0e; border-width: 3px; }
.strip { display: flex; flex-direction: column; width: 26px; height: 390px; }
.strip i { flex: 1; display: block; }
.bars { display: flex; flex-direction: column; gap: 3px; width: 100%; }
.bar { display: grid; grid-template-columns: 1.1em 1fr 2.6em; align-items: center; gap: 3px;
  font-size: 14px; height: 34px; }
.bar span { background: #1f77b4; height: 70%; border-radius: 2px; }
.bar.top span { background: #ff7f0e; } .bar.top b, .bar.top em { color: #b34d00; }
.bar em { font-style: normal; font-size: 12px; text-align: right; }
"""

OVERVIEW_JS = """
export default function ({ data, parentElement, setTriggerValue }) {
  let root = parentElement.querySelector(".root");
  if (!root) {
    root = document.createElement("div");
    root.className = "root";
    parentElement.appendChild(root);
    root.addEventListener("click", (event) => {
      const pressed = event.target.closest("button[data-layer]");
      if (!pressed) return;
      setTriggerValue("open", { layer: pressed.dataset.layer, map: +pressed.dataset.map });
    });
  }
  if (root.dataset.version !== data.version) {
    root.innerHTML = data.html;
    root.dataset.version = data.version;
  }
}
"""
