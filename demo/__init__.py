"""LeNet-5 Lab, the Streamlit app: thin pages over the `lenet` library."""
