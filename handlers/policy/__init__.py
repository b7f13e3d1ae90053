"""The policy file: its validated model, how it is read and the academic calendar it describes."""
