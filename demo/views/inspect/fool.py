"""The Inspect page's "Fool the network": a small change of the digit, made on purpose, that
makes the network read another digit (lenet.explain.adversarial, Captum's FGSM and PGD).

Shown as before / change / after with both readings, and the smallest strength that does it.
The attack runs on a private copy of the model, kept for the server per set of weights.
"""

from __future__ import annotations

import streamlit as st
import torch

from demo.figures.reading_html import pixel_picture
from lenet.explain.adversarial import METHODS, STRENGTHS, Attack, Fooler
from lenet.model import weights_digest

METHOD_HELP = (
    "PGD takes 20 small steps, each towards the chosen digit, and never changes a pixel by "
    "more than the strength. FGSM takes one step of the whole strength: quicker, and weaker."
)
STRENGTH_HELP = (
    "The most any pixel may change, as a share of the way from black to white. 10% is at "
    "most 25 of 255 grey levels."
)
TRUST = (
    "**What this means for trusting a network.** The network reads digits very well. Yet a "
    "small change, found by following its own gradients, makes it read the digit we chose, "
    "often with high confidence. At a small strength a person barely sees the change. So a "
    "high probability does not prove the picture is honest: trust a network only on inputs "
    "like the ones it was trained and tested on."
)


@st.cache_resource(max_entries=16, show_spinner=False)
def fooler(weights: str, _model) -> Fooler:
    """One private copy per set of weights, shared by every session (it serialises its calls)."""
    return Fooler(_model)


@st.cache_resource(max_entries=64, show_spinner=False)
def _attack(weights: str, digit: bytes, target: int, strength: float, method: str, _x, _model):
    """An attack, once per weights, digit, target, strength and method: a page rerun (any
    other control) does not repeat it."""
    return fooler(weights, _model).attack(_x, target, strength, method)


@st.cache_resource(max_entries=64, show_spinner=False)
def _smallest(weights: str, digit: bytes, target: int, method: str, _x, _model):
    """The smallest strength's attack (a bisection of ~7 attacks, 0.17-0.20 s), once per
    weights, digit, target and method."""
    return fooler(weights, _model).smallest_strength(_x, target, method)


def _runner_up(probs: torch.Tensor) -> int:
    return int(probs.argsort(descending=True)[1])


def fool_section(model, x: torch.Tensor, probs: torch.Tensor) -> None:
    """The controls, the three pictures with their readings, and the smallest strength."""
    predicted = int(probs.argmax())
    others = [d for d in range(10) if d != predicted]
    with st.container(horizontal=True, gap="medium"):
        target = st.selectbox(
            "Fool it into reading",
            others,
            index=others.index(_runner_up(probs)),
            key=f"fool_target_{predicted}",  # a new reading starts from its runner-up again
            help="The digit the change should make the network read. It starts on the "
            "network's second choice, the easiest to reach.",
            width=220,
        )
        method = st.segmented_control(
            "Method", METHODS, default="PGD", key="fool_method", help=METHOD_HELP
        )
        strength = st.select_slider(
            "Strength",
            STRENGTHS,
            value=0.10,
            format_func=lambda s: f"{s:.0%}",
            key="fool_strength",
            help=STRENGTH_HELP,
            width=300,
        )
    method = method or "PGD"
    weights, digit = weights_digest(model), x.numpy().tobytes()
    attack = _attack(weights, digit, int(target), float(strength), method, x, model)
    verdict(attack, predicted)  # first: the answer lands right under the controls
    pictures(attack, predicted)
    smallest = _smallest(weights, digit, int(target), method, x, model)
    if smallest is None:
        st.markdown(
            f"Even at {STRENGTHS[-1]:.0%} {method} does not make it read {target}. "
            + ("Try PGD: its small steps find what one step misses." if method == "FGSM" else "")
        )
    else:
        levels = round(smallest.strength * 255)
        st.markdown(
            f"**Smallest strength that makes it read {target}: {smallest.strength:.0%}** "
            f"({method}; no pixel changed by more than {levels} of 255 grey levels; it reads "
            f"{target} at {float(smallest.probs_after[target]):.0%})."
        )
    st.info(TRUST, icon=":material/gpp_maybe:")


def pictures(attack: Attack, predicted: int) -> None:
    radius = attack.radius
    before, after = attack.probs_before, attack.probs_after
    read = int(after.argmax())
    shown = [
        (attack.before, f"Before: reads {predicted} ({float(before[predicted]):.0%})", -1.0, 1.0),
        (attack.change, f"The change (at most {attack.strength:.0%})", -radius, radius),
        (attack.after, f"After: reads {read} ({float(after[read]):.0%})", -1.0, 1.0),
    ]
    # three abreast down to a phone's width: before and after side by side, on a projector too
    cell = '<div style="flex:1 1 100px;min-width:96px;max-width:256px">{}</div>'
    st.html(
        '<div style="display:flex;flex-wrap:wrap;gap:12px 16px">'
        + "".join(
            cell.format(pixel_picture(image[0, 0].numpy(), title, low, high))
            for image, title, low, high in shown
        )
        + "</div>"
    )
    st.caption(
        "The change: mid grey is no change, lighter pixels were made brighter, darker ones "
        "darker. Hover over a pixel for its value."
    )


def verdict(attack: Attack, predicted: int) -> None:
    after = attack.probs_after
    if attack.fooled:
        st.success(
            f"Fooled: it now reads **{attack.target}** ({float(after[attack.target]):.0%}), "
            f"where it read {predicted}.",
            icon=":material/warning:",
        )
    else:
        read = int(after.argmax())
        st.warning(
            f"Not fooled at {attack.strength:.0%}: it reads {read} "
            f"({float(after[read]):.0%}); {attack.target} gets {float(after[attack.target]):.0%}. "
            "Raise the strength.",
            icon=":material/shield:",
        )
