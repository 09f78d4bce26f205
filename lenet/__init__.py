"""LeNet-5 on MNIST: data, model, training, checkpoints, the run store and looks inside.

No Streamlit and no `demo` here; importing any module runs nothing. The rooms, lowest first (a room
imports only from rooms below it):

- `errors`, `config`, `model`, `terminal`: the exceptions, the settings of a model and a run
  (plain data, no torch), LeNet-5 itself, text made safe for a terminal.
- `data/`: MNIST fetched, verified and split; any picture made MNIST-like.
- `files/`: checkpoints, written atomically and read without running code.
- `explain/`: looks inside a trained model: activations, cells, attributions, dreams, probes.
- `reading`: one picture to the model's ten probabilities.
- `timeline/`: a run's weights at chosen steps, in memory, in a checkpoint, as a GIF.
- `training/`: the trainer, its settings, presets, schedules, events and threads.
- `store/`: every run as a database row, recorded while it trains.
- `cli/`: the command-line tools; `train`, `evaluate`, `predict`, `runs` (and `data/__main__`,
  `timeline/__main__`) are the thin entries that `python -m lenet.X` runs.
"""

__version__ = "0.1.0"
