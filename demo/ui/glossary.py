"""The words of the lesson, explained in a sentence or two each, one click away on every page.

`TERMS` is plain data (the readability test reads it too); `glossary_button()` is the popover in
every page's header (`demo.ui.screen.header`).
"""

from __future__ import annotations

import streamlit as st

TERMS = {
    "Accuracy": "The share of digits the network reads right. Test accuracy uses 10,000 digits "
    "it never saw while it learned.",
    "Activation": "A simple bend applied to every number a layer makes. Without it, the "
    "layers would add up to one straight-line rule. ReLU keeps positive numbers and turns "
    "negative ones to zero. Tanh squeezes every number into -1 to 1.",
    "Batch (minibatch)": "The group of images the network learns from in one step. With 64 "
    "images a step, it looks at 64 digits, then changes its weights once.",
    "Bias": "A number a layer adds after it has multiplied its inputs by its weights. It lets a "
    "filter fire a little more, or a little less, everywhere.",
    "Checkpoint": "A file that holds a trained network's weights, so it can be used again later "
    "or on another computer.",
    "Confusion matrix": "A table of which digit the network said for each true digit. The "
    "diagonal holds the ones it got right; every other cell is a kind of mistake.",
    "Conv layer (conv1, conv2)": "A layer of filters that slide over the picture. Each filter "
    "makes one feature map.",
    "Diverged": "The loss blew up: each step jumped so far that the weights became useless. A "
    "smaller learning rate usually fixes it.",
    "Epoch": "One pass over all the training images. Two epochs show the network every image "
    "twice.",
    "FC layer (fc1, fc2, fc3)": "A fully connected layer: every number it makes looks at every "
    "number of the layer before. fc3 makes the ten scores, one per digit.",
    "Feature map": "The picture a filter makes of the input. It is bright where the filter "
    "finds its pattern, such as an edge or a curve.",
    "Filter (kernel)": "A small grid of weights, here 5 by 5, that slides over the image. At "
    "each place it multiplies the pixels under it by its weights and adds them up.",
    "Learning rate": "How big a step the network takes each time it changes its weights. Too "
    "small and it learns slowly. Too big and it overshoots and learns nothing.",
    "Logits": "The ten scores the network gives before softmax turns them into chances. The "
    "biggest score is its answer.",
    "Loss (cross-entropy)": "A number for how wrong the network is on a batch of images. It is "
    "small when the network gives the right digit a high chance. Training tries to make it "
    "smaller.",
    "Momentum": "SGD keeps part of its last step and adds it to the next one, so it rolls on "
    "through small bumps.",
    "Optimizer": "The rule that changes the weights after each batch. SGD takes plain steps "
    "downhill. Adam and AdamW adjust the step for each weight on their own.",
    "Pooling (pool1, pool2)": "Shrinks each feature map by keeping one number for every 2 by 2 "
    "block: the largest one (max) or their average.",
    "Saliency": "A picture of which pixels would change the network's score most if they "
    "changed a little. Bright pixels mattered most.",
    "Schedule": "How the learning rate changes during a run: steady, or starting small, or "
    "getting smaller towards the end.",
    "Seed": "A number that fixes the random start. The same seed and settings give the same "
    "run every time.",
    "Softmax": "The last step of the network. It turns its ten scores into ten chances, one per "
    "digit, that add up to 100%.",
    "t-SNE": "A way to draw many digits on a flat map so that digits the network sees as alike "
    "land close together.",
    "Validation": "6,000 training images kept aside. The network never learns from them, so "
    "they show how it does on new digits while it trains.",
    "Weight decay": "Pulls every weight a little towards zero at each step, so the network does "
    "not lean too hard on any one of them.",
    "Weights": "The numbers inside the network that training changes. LeNet-5 has 61,706 of them.",
}


def glossary_button() -> None:
    """A 'Words' popover listing every term, for the page header."""
    with st.popover(
        "Words", icon=":material/menu_book:", help="What the words of this lesson mean"
    ):
        st.markdown("**The words of this lesson**")
        for term, meaning in TERMS.items():
            st.markdown(f"**{term}**: {meaning}")
