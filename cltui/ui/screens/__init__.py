"""The app's screens: the main consensus view and its modals."""
