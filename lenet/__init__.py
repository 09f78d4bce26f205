"""LeNet-5 on MNIST: data, model, training, checkpoints and looks inside. No Streamlit here."""

__version__ = "0.1.0"
