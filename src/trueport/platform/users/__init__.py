"""People who sign in to the control plane."""
