"""Pages of the app, one module per module of the menu."""
