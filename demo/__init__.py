"""LeNet-5 Lab, the Streamlit app: thin pages over the `lenet` library.

`serve` is the server (`streamlit run demo/serve.py`), `app` the pages' navigation, `preload` the
warm-up before the first student. The rooms, lowest first (a room imports only from rooms below
it, and any of `lenet`):

- `ui/`: how the app sits on the screen and speaks: screen sizes, plain text, the glossary, the
  canvas.
- `session/`: one student's settings, nickname and link; the store, the teacher key and uploads.
- `training/`: training jobs, the local worker pool and the Ray cluster behind one interface, the
  server-wide slots and fair shares.
- `classroom/`: what the class shares: the leaderboard's rows, saved models, the teacher's tools.
- `models/`: every model a student can choose: shipped, uploaded, their runs, timeline steps.
- `figures/`: every Plotly figure and picture, built from plain data (no Streamlit).
- `views/`: the four pages, one package each, each with a `render()`.
"""
