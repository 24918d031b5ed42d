"""The Qt (PySide6) cashier window. It talks only to ``cashier_app.service``."""
